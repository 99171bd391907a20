import { createHash, randomBytes } from 'node:crypto';
import { baseUrl, hatAddress, type Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ResetPurpose, ResetRecord, Store } from '../store/ports.js';
import type { Mail, Mailer } from './mail.js';

/** How long a link sent by mail works (SPEC 13). */
export const LINK_MINUTES = 30;

/** The one-time secrets that travel by mail (the sign-up hand-off never does: services/handoff.ts). */
export type MailedPurpose = Exclude<ResetPurpose, 'signin'>;

/**
 * The page on the HAT each kind of link opens. The secret travels in the query string, which the
 * request log never writes (it writes the path).
 */
export const LINK_PATHS: Record<MailedPurpose, string> = { password: '/recover/reset?token=', email: '/confirm-email?token=' };

/**
 * What the store keeps of a link's secret. The purpose is part of it, so a reset secret pasted
 * into the confirmation page (or the other way round) matches nothing and uses nothing up.
 */
export function linkHash(purpose: ResetPurpose, secret: string): string {
  return createHash('sha256').update(`${purpose}:${secret}`).digest('hex');
}

/** A digest of the password hash: a reset link sent under one password is void under the next. */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(passwordHash).digest('hex').slice(0, 32);
}

/** Secrets are 32 random bytes in base64url: 43 characters of [A-Za-z0-9_-]. */
export function plausibleSecret(secret: unknown): secret is string {
  return typeof secret === 'string' && /^[A-Za-z0-9_-]{43}$/.test(secret);
}

/**
 * Makes one-time links and sends them. Mail leaves in the background: the person's page does not
 * wait for an SMTP server, and a request for a HAT that does not exist answers as fast as one that
 * does. `settled()` waits for what is still being sent (tests, shutdown).
 */
export class LinkMailer {
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly log: Logger,
  ) {}

  /** Stores a new link (voiding the HAT's earlier one of the same purpose) and returns its URL. */
  async issue(hat: string, purpose: MailedPurpose, fields: Pick<ResetRecord, 'email' | 'fingerprint'>): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.store.resets.issue({
      hash: linkHash(purpose, secret),
      hat,
      purpose,
      ...fields,
      createdAt: now,
      expiresAt: new Date(now.getTime() + LINK_MINUTES * 60_000),
    });
    return `${baseUrl(this.config, hatAddress(this.config, hat))}${LINK_PATHS[purpose]}${secret}`;
  }

  /** Sends in the background; a failure is logged (without the mail's text: it holds a link). */
  send(mail: Mail, what: string): void {
    this.later(() => this.mailer.send(mail), what);
  }

  /** Runs `work` (which ends in a mail) in the background, logging its failure. */
  later(work: () => Promise<void>, what: string): void {
    const done = work().catch((err: unknown) => this.log.error({ err, what }, 'a mail could not be sent'));
    this.sending.add(done);
    void done.finally(() => this.sending.delete(done));
  }

  async settled(): Promise<void> {
    while (this.sending.size > 0) await Promise.all([...this.sending]);
  }
}
