import { Conflict, InvalidInput, NotFound, Titles, UniqueViolation } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { HatDirectory } from './hats.js';
import { LINK_MINUTES, linkHash, plausibleSecret, type LinkMailer } from './links.js';
import type { Attempt, Owners } from './owners.js';
import { EMAIL } from './signup.js';

export const CONFIRM_GONE = 'This confirmation link has expired or was already used';

/**
 * The owner's email address (SPEC 13): sign-up sends a confirmation mail and the address counts
 * as verified once its link is opened; a change needs the password and takes effect only when
 * the link sent to the new address is opened, so a typo never takes the HAT's recovery away.
 */
export class Emails {
  constructor(
    private readonly store: Store,
    private readonly directory: HatDirectory,
    private readonly owners: Owners,
    private readonly links: LinkMailer,
    private readonly activity: ActivityLog,
  ) {}

  /** True when the HAT's current address was confirmed through a link (`email_verified`). */
  async isVerified(hat: HatRecord): Promise<boolean> {
    return (await this.store.resets.verifiedEmail(hat.name)) === hat.email;
  }

  /** Sends the confirmation of a new HAT's address, in the background. */
  confirmNewHat(hat: HatRecord): void {
    this.links.later(async () => {
      const url = await this.links.issue(hat.name, 'email', { email: hat.email, fingerprint: '' });
      this.links.send(
        {
          to: hat.email,
          subject: `Confirm the email address of your HAT ${hat.name}`,
          text: [
            `Welcome to your HAT ${hat.name}.`,
            '',
            `Please confirm that this is your address by opening this link within ${LINK_MINUTES} minutes:`,
            url,
            '',
            'A confirmed address is where a password reset link goes if you ever forget your password.',
            'If you did not create this HAT, ignore this mail.',
          ].join('\n'),
        },
        'confirmation mail',
      );
    }, 'confirmation mail');
  }

  /**
   * The dashboard's "change email": checks the password (counted like a login), then sends a
   * link to the new address. Nothing changes until that link is opened.
   */
  async requestChange(hat: HatRecord, password: string, newEmail: string, attempt: Attempt): Promise<string> {
    const email = newEmail.trim().toLowerCase();
    if (!EMAIL.test(email) || email.length > 254) throw new InvalidInput('Enter a valid email address', { field: 'email' });
    if (email === hat.email) throw new InvalidInput('That is already the address of this HAT', { field: 'email' });
    await this.owners.checkPassword(hat, password, attempt, 'email change');
    const taken = await this.store.hats.findByEmail(email);
    if (taken) throw new Conflict('Another HAT uses that address', { field: 'email' });
    const url = await this.links.issue(hat.name, 'email', { email, fingerprint: '' });
    await this.activity.record({ hat: hat.name, type: 'email_change_requested', via: attempt.via, clientIp: attempt.clientIp });
    this.links.send(
      {
        to: email,
        subject: `Confirm the new email address of your HAT ${hat.name}`,
        text: [
          `You asked to use this address for your HAT ${hat.name}.`,
          '',
          `To confirm it, open this link within ${LINK_MINUTES} minutes:`,
          url,
          '',
          'Until then the HAT keeps its current address. If you did not ask for this, ignore this mail.',
        ].join('\n'),
      },
      'email change mail',
    );
    return email;
  }

  /** Opens a confirmation link on `hat`'s host: the address becomes the HAT's, confirmed. */
  async confirm(hat: HatRecord, secret: unknown, clientIp: string): Promise<string> {
    if (!plausibleSecret(secret)) throw new NotFound(CONFIRM_GONE, { title: Titles.linkExpired });
    const hash = linkHash('email', secret);
    const found = await this.store.resets.find(hash, new Date());
    if (!found || found.hat !== hat.name) throw new NotFound(CONFIRM_GONE, { title: Titles.linkExpired });
    const link = await this.store.resets.claim(hash, new Date());
    if (!link) throw new NotFound(CONFIRM_GONE, { title: Titles.linkExpired });
    try {
      await this.store.resets.confirmEmail(hat.name, link.email);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Conflict('Another HAT started using that address meanwhile', { field: 'email' });
      throw err;
    }
    this.directory.forget(hat.name);
    await this.activity.record({ hat: hat.name, type: 'email_confirmed', via: 'recovery', clientIp, detail: link.email });
    return link.email;
  }
}
