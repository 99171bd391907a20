import { InvalidInput, NotFound, TooManyAttempts, Titles } from '../errors.js';
import type { AttemptCounter, HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { clientKey } from './client-address.js';
import type { HatDirectory } from './hats.js';
import { LINK_MINUTES, linkHash, passwordFingerprint, plausibleSecret, type LinkMailer } from './links.js';
import type { Owners } from './owners.js';
import type { PasswordRules } from './strength.js';

/** SPEC 13: at most 5 recovery mails per HAT an hour, 10 requests per client in 15 minutes. */
export const MAILS_PER_HAT = { limit: 5, windowSeconds: 60 * 60 };
export const REQUESTS_PER_CLIENT = { limit: 10, windowSeconds: 15 * 60 };

/** A reset link that cannot be used (never sent, expired, used, or sent before a later password). */
export const LINK_GONE = 'This link has expired or was already used';

export interface NewPassword {
  newPassword: string;
  newPasswordRepeat: string;
}

/**
 * "Forgot password?" (SPEC 13): a request by HAT name or email that answers the same whether or
 * not the HAT exists, a mail with a single-use link valid for 30 minutes, and a new password set
 * through it, which ends every session and token as a password change does.
 */
export class Recovery {
  private readonly perClient: AttemptCounter;
  private readonly perHat: AttemptCounter;

  constructor(
    private readonly store: Store,
    private readonly directory: HatDirectory,
    private readonly owners: Owners,
    private readonly links: LinkMailer,
    private readonly activity: ActivityLog,
    private readonly rules: PasswordRules,
  ) {
    this.perClient = store.attempts('recovery-client', REQUESTS_PER_CLIENT.windowSeconds, REQUESTS_PER_CLIENT.limit);
    this.perHat = store.attempts('recovery-hat', MAILS_PER_HAT.windowSeconds, MAILS_PER_HAT.limit);
  }

  /**
   * Sends a reset link to the owner of the HAT named by `identifier` (its name or its email), if
   * there is one. Answers alike either way; everything after the client's count happens in the
   * background, so the time it takes says nothing either. `onlyHat`: on a HAT's own host, only
   * that HAT. Throws TooManyAttempts past the client's limit.
   */
  async request(identifier: string, clientIp: string, onlyHat?: string): Promise<void> {
    // IPv6 per /64, as the login throttle counts (SPEC 6.3): one subscriber holds the whole /64.
    const count = await this.perClient.hit(clientKey(clientIp));
    if (count.consumed > REQUESTS_PER_CLIENT.limit) {
      throw new TooManyAttempts(Math.max(1, Math.ceil(count.msBeforeNext / 1000)), { detail: 'Too many recovery requests from this address; try again later' });
    }
    const typed = identifier.trim().toLowerCase().slice(0, 254);
    if (!typed) throw new InvalidInput('Enter your HAT name or the email address on file', { field: 'identifier' });
    this.links.later(() => this.mailLink(typed, clientIp, onlyHat), 'recovery mail');
  }

  private async mailLink(typed: string, clientIp: string, onlyHat: string | undefined): Promise<void> {
    const hat = typed.includes('@') ? await this.store.hats.findByEmail(typed) : await this.directory.find(typed);
    if (!hat || hat.disabled || (onlyHat !== undefined && hat.name !== onlyHat)) return;
    // Past the HAT's limit nobody learns anything: the answer was already the neutral one.
    if ((await this.perHat.hit(hat.name)).consumed > MAILS_PER_HAT.limit) return;
    const url = await this.links.issue(hat.name, 'password', { email: '', fingerprint: passwordFingerprint(hat.passwordHash) });
    await this.activity.record({ hat: hat.name, type: 'password_reset_requested', via: 'recovery', clientIp });
    this.links.send(
      {
        to: hat.email,
        subject: `Reset the password of your HAT ${hat.name}`,
        text: [
          `Someone (we hope you) asked to reset the password of your HAT ${hat.name}.`,
          '',
          `To choose a new password, open this link within ${LINK_MINUTES} minutes:`,
          url,
          '',
          'The link works once. Setting a new password logs you out everywhere and ends every token.',
          'If you did not ask for this, ignore this mail: your password stays as it is.',
        ].join('\n'),
      },
      'recovery mail',
    );
  }

  /** The HAT a reset link belongs to, when it can still be used on this HAT; null otherwise. */
  async check(hat: HatRecord, secret: unknown): Promise<HatRecord | null> {
    if (!plausibleSecret(secret)) return null;
    const link = await this.store.resets.find(linkHash('password', secret), new Date());
    if (!link || link.hat !== hat.name || link.fingerprint !== passwordFingerprint(hat.passwordHash) || hat.disabled) return null;
    return hat;
  }

  /** Why the new password cannot be used, by field; empty when it can. */
  async problems(hat: HatRecord, input: NewPassword): Promise<Partial<Record<keyof NewPassword, string>>> {
    const problem = await this.rules.problem(input.newPassword, [hat.name, hat.email, hat.fullName]);
    if (problem) return { newPassword: `The new password ${problem}` };
    if (input.newPassword !== input.newPasswordRepeat) return { newPasswordRepeat: 'The repeated password does not match' };
    return {};
  }

  /**
   * Uses the link: sets the new password and ends every session and token (as a change does),
   * logged as a reset. The link is used up only once the password passed the rules, so a weak
   * first try does not waste it. NotFound (LINK_GONE) when it cannot be used.
   */
  async reset(hat: HatRecord, secret: unknown, input: NewPassword, clientIp: string): Promise<void> {
    if (!(await this.check(hat, secret))) throw new NotFound(LINK_GONE, { title: Titles.linkExpired });
    const [field, problem] = Object.entries(await this.problems(hat, input))[0] ?? [];
    if (field && problem) throw new InvalidInput(problem, { field, title: Titles.invalidPassword });
    const link = await this.store.resets.claim(linkHash('password', secret as string), new Date());
    // Claimed by a concurrent request meanwhile, or the password changed in between.
    const current = link && (await this.directory.find(link.hat));
    if (!link || !current || current.name !== hat.name || link.fingerprint !== passwordFingerprint(current.passwordHash)) {
      throw new NotFound(LINK_GONE, { title: Titles.linkExpired });
    }
    await this.owners.replacePassword(current, input.newPassword, {
      attempt: { clientIp, via: 'recovery' },
      keepServices: false,
      type: 'password_reset',
    });
  }
}
