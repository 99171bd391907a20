import { randomBytes } from 'node:crypto';
import { NotFound, Titles } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { HatDirectory } from './hats.js';
import { linkHash, passwordFingerprint, plausibleSecret } from './links.js';

/** How long the hand-off after sign-up works: one click, right after the form. */
export const HANDOFF_SECONDS = 120;

/** A hand-off that cannot be used (expired, used, replaced, another HAT's, or the password changed since). */
export const HANDOFF_GONE = 'This sign-in has expired or was already used';

/**
 * The one-time hand-off from the sign-up form (on the cluster's host) to the new HAT's dashboard
 * (on the HAT's host), so that signing up ends logged in without typing the password again.
 *
 * It is a one-time secret of the reset-link kind (`ResetStore`, purpose `signin`): the store
 * keeps only its SHA-256; it works once (claimed atomically), for HANDOFF_SECONDS, for the one
 * HAT it was made for, and not after a password change (it remembers a digest of the password
 * hash). A newer one replaces it. Who may present it is the HTTP layer's concern: it travels in
 * a form post, never in an address, and the HAT's page asks for a click of its own before using
 * it (so that nobody can log someone else's browser in to their HAT unnoticed).
 */
export class SignupHandoff {
  constructor(
    private readonly store: Store,
    private readonly directory: HatDirectory,
    private readonly activity: ActivityLog,
  ) {}

  /** A new hand-off secret for the HAT named `name` (voiding its earlier one); null when there is no such HAT. */
  async issue(name: string): Promise<string | null> {
    const hat = await this.directory.find(name);
    if (!hat || hat.disabled) return null;
    const secret = randomBytes(32).toString('base64url');
    const now = new Date();
    await this.store.resets.issue({
      hash: linkHash('signin', secret),
      hat: hat.name,
      purpose: 'signin',
      email: '',
      fingerprint: passwordFingerprint(hat.passwordHash),
      createdAt: now,
      expiresAt: new Date(now.getTime() + HANDOFF_SECONDS * 1000),
    });
    return secret;
  }

  /** True when `secret` is a live hand-off of this HAT; uses nothing up. */
  async check(hat: HatRecord, secret: unknown): Promise<boolean> {
    if (!plausibleSecret(secret) || hat.disabled) return false;
    const found = await this.store.resets.find(linkHash('signin', secret), new Date());
    return !!found && found.purpose === 'signin' && found.hat === hat.name && found.fingerprint === passwordFingerprint(hat.passwordHash);
  }

  /**
   * Uses the hand-off for this HAT: the caller then starts the owner's session, as after a
   * password login. Written to the activity log as a login through sign-up. NotFound
   * (HANDOFF_GONE) when it cannot be used; a hand-off of another HAT is not used up.
   */
  async redeem(hat: HatRecord, secret: unknown, clientIp: string): Promise<void> {
    if (!(await this.check(hat, secret))) throw new NotFound(HANDOFF_GONE, { title: Titles.linkExpired });
    const claimed = await this.store.resets.claim(linkHash('signin', secret as string), new Date());
    // Used by a concurrent request meanwhile, or the password changed in between.
    const current = claimed && (await this.directory.find(claimed.hat));
    if (!claimed || !current || current.name !== hat.name || current.disabled || claimed.fingerprint !== passwordFingerprint(current.passwordHash)) {
      throw new NotFound(HANDOFF_GONE, { title: Titles.linkExpired });
    }
    await this.activity.record({ hat: hat.name, type: 'login', via: 'signup', clientIp, detail: 'signed up and logged in' });
  }
}
