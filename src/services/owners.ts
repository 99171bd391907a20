import { InvalidInput, NotAllowed, NotAuthenticated, TooManyAttempts, Titles } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { nextSecond, untilSecond } from './clock.js';
import type { HatDirectory } from './hats.js';
import type { BrowserSessions } from './sessions.js';
import type { PasswordHasher } from './passwords.js';
import { MAX_PASSWORD_LENGTH, type PasswordRules } from './strength.js';
import type { LoginThrottle } from './throttle.js';
import type { IssuedToken, Tokens } from './tokens.js';

/** Where a login attempt came from, for the throttle and the activity log. */
export interface Attempt {
  clientIp: string;
  via: 'api' | 'hatlogin' | 'dashboard' | 'oauth' | 'recovery';
  service?: string;
  redirectHost?: string;
  /**
   * The device id of a valid device cookie for this HAT (SPEC 6.3), checked by the caller: such
   * a browser is counted by its own limit only, never refused because strangers failed.
   */
  device?: string;
}

const WRONG_CREDENTIALS = 'Unknown user or wrong password';
export const HAT_DISABLED = "This HAT has been disabled by the cluster's operator; it accepts no logins";

/** The owner's password: logging in with it, and changing it. */
export class Owners {
  constructor(
    private readonly store: Store,
    private readonly directory: HatDirectory,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly activity: ActivityLog,
    private readonly tokens: Tokens,
    private readonly rules: PasswordRules,
    private readonly sessions: BrowserSessions,
  ) {}

  /**
   * Checks the owner's password on `hat`. `username` is the HAT name or the owner's email.
   * An unknown user and a wrong password answer alike and take about as long.
   */
  async login(hat: HatRecord, username: string, password: string, attempt: Attempt): Promise<HatRecord> {
    // Said plainly, before any password check or throttle count: nothing typed here could help.
    if (hat.disabled) throw new NotAllowed(HAT_DISABLED, { title: Titles.hatDisabled });
    await this.throttle.begin(hat.name, attempt).catch(async (err: unknown) => {
      if (err instanceof TooManyAttempts && (await this.throttle.firstRefusal(hat.name, attempt))) {
        await this.activity.record({ hat: hat.name, type: 'login_throttled', ...attemptFields(attempt) });
      }
      throw err;
    });
    const user = username.trim().toLowerCase();
    const known = user === hat.name || user === hat.email;
    const ok =
      known && password.length <= MAX_PASSWORD_LENGTH
        ? await this.hasher.verify(password, hat.passwordHash)
        : await this.hasher.verifyNothing(password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok) {
      await this.activity.record({ hat: hat.name, type: 'login_failed', ...attemptFields(attempt) });
      throw new NotAuthenticated(WRONG_CREDENTIALS, { title: Titles.notAuthenticated });
    }
    await this.throttle.succeeded(hat.name, attempt);
    await this.upgradeHash(hat, password);
    await this.activity.record({ hat: hat.name, type: 'login', ...attemptFields(attempt) });
    return hat;
  }

  /**
   * SPEC 10: a hash of an earlier scheme (scrypt) is replaced by Argon2id once the owner has
   * proven the password. Only while the stored hash is still the one checked; a failure here
   * never fails the login (the old hash keeps working).
   */
  private async upgradeHash(hat: HatRecord, password: string): Promise<void> {
    if (!this.hasher.needsRehash(hat.passwordHash)) return;
    try {
      const fresh = await this.hasher.hash(password);
      await this.store.hats.replacePasswordHash(hat.name, hat.passwordHash, fresh);
    } catch {
      // the next login tries again
    }
  }

  /** Logs in and returns an owner token (GET /users/access_token). */
  async accessToken(hat: HatRecord, username: string, password: string, attempt: Attempt): Promise<IssuedToken> {
    return this.tokens.owner(await this.login(hat, username, password, attempt));
  }

  /**
   * Changes the password after checking the old one (first, and throttled like a login: the
   * strength estimate of the new one is not spent on someone who does not know the old one).
   * What the change ends is `replacePassword`'s. Returns the one owner token that survives.
   */
  async changePassword(
    hat: HatRecord,
    oldPassword: string,
    newPassword: string,
    attempt: Attempt,
    options: { keepServices?: boolean } = {},
  ): Promise<IssuedToken> {
    if (!oldPassword) throw new NotAllowed('Old password missing', { title: Titles.invalidPassword });
    await this.checkPassword(hat, oldPassword, attempt, 'password change');
    const notBefore = await this.replacePassword(hat, newPassword, { attempt, keepServices: options.keepServices === true });
    const updated = await this.directory.find(hat.name);
    if (!updated) throw new NotAuthenticated('The HAT no longer exists');
    return this.tokens.owner(updated, notBefore);
  }

  /**
   * Checks the owner's password before a change that needs it (`what`: the password, the email),
   * throttled like a login; a wrong one is logged as a failed attempt and is NotAllowed.
   */
  async checkPassword(hat: HatRecord, password: string, attempt: Attempt, what: string): Promise<void> {
    await this.throttle.begin(hat.name, attempt);
    // Like login: an over-long password is wrong, never cut down to a prefix that might match.
    const ok =
      password.length <= MAX_PASSWORD_LENGTH
        ? await this.hasher.verify(password, hat.passwordHash)
        : await this.hasher.verifyNothing(password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok) {
      await this.activity.record({ hat: hat.name, type: 'login_failed', ...attemptFields(attempt), detail: what });
      throw new NotAllowed('Old password invalid', { title: Titles.invalidPassword });
    }
    await this.throttle.succeeded(hat.name, attempt);
  }

  /**
   * Sets a new password and ENDS EVERYTHING from before (SPEC 7): every owner token and every
   * browser session of the HAT, and unless `keepServices`, every application's and service's
   * token as well. Used by the password change and by account recovery (a reset), which must
   * not differ in what they end. The new password must meet SPEC 9's rule (InvalidInput on
   * field `newPassword`); the caller has checked who is asking.
   *
   * Tokens issued before the next whole second are refused; this waits for that second, so a
   * token issued after it returns (with `iat` = the returned second) is the only one that stands.
   */
  async replacePassword(
    hat: HatRecord,
    newPassword: string,
    /** `type`: how the activity log names it (a reset link is `password_reset`). */
    options: { attempt: Attempt; keepServices?: boolean; type?: 'password_changed' | 'password_reset' },
  ): Promise<number> {
    const problem = await this.rules.problem(newPassword, [hat.name, hat.email, hat.fullName]);
    if (problem) throw new InvalidInput(`newPassword ${problem}`, { field: 'newPassword', title: Titles.invalidPassword });
    const hash = await this.hasher.hash(newPassword);
    const notBefore = nextSecond();
    const keepServices = options.keepServices === true;
    await this.store.hats.setPassword(hat.name, hash, notBefore, !keepServices);
    await this.sessions.endAllSilently(hat.name);
    await this.activity.record({
      hat: hat.name,
      type: options.type ?? 'password_changed',
      ...attemptFields(options.attempt),
      detail: keepServices ? 'services kept signed in' : 'services signed out',
    });
    await untilSecond(notBefore);
    return notBefore;
  }

  /**
   * Disables the owner (or lets them back in): while disabled, their tokens are refused and
   * they cannot log in, and disabling ends their browser sessions.
   */
  async setDisabled(hat: string, disabled: boolean): Promise<void> {
    await this.store.hats.setDisabled(hat, disabled);
    if (disabled) await this.sessions.endAllSilently(hat);
  }
}

function attemptFields(a: Attempt) {
  return {
    via: a.via,
    clientIp: a.clientIp,
    ...(a.service ? { service: a.service } : {}),
    ...(a.redirectHost ? { redirectHost: a.redirectHost } : {}),
  };
}
