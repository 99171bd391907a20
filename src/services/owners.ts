import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput, NotAllowed, NotAuthenticated, TooManyAttempts, Titles } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { HatDirectory } from './hats.js';
import type { PasswordHasher } from './passwords.js';
import { MAX_PASSWORD_LENGTH, passwordProblem } from './strength.js';
import type { LoginThrottle } from './throttle.js';
import type { IssuedToken, Tokens } from './tokens.js';

/** Where a login attempt came from, for the throttle and the activity log. */
export interface Attempt {
  clientIp: string;
  via: 'api' | 'hatlogin' | 'dashboard' | 'oauth' | 'recovery';
  service?: string;
  redirectHost?: string;
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
  ) {}

  /**
   * Checks the owner's password on `hat`. `username` is the HAT name or the owner's email.
   * An unknown user and a wrong password answer alike and take about as long.
   */
  async login(hat: HatRecord, username: string, password: string, attempt: Attempt): Promise<HatRecord> {
    // Said plainly, before any password check or throttle count: nothing typed here could help.
    if (hat.disabled) throw new NotAllowed(HAT_DISABLED, { title: Titles.hatDisabled });
    await this.throttle.begin(hat.name, attempt.clientIp).catch(async (err: unknown) => {
      if (err instanceof TooManyAttempts && (await this.throttle.firstRefusal(hat.name, attempt.clientIp))) {
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
    await this.throttle.succeeded(hat.name, attempt.clientIp);
    await this.activity.record({ hat: hat.name, type: 'login', ...attemptFields(attempt) });
    return hat;
  }

  /** Logs in and returns an owner token (GET /users/access_token). */
  async accessToken(hat: HatRecord, username: string, password: string, attempt: Attempt): Promise<IssuedToken> {
    return this.tokens.owner(await this.login(hat, username, password, attempt));
  }

  /**
   * Changes the password. Every owner token and browser session from before stops working:
   * sessions are deleted, and tokens issued before the next whole second are refused. We wait
   * for that second before issuing the new token, so that it is the only one that survives.
   */
  async changePassword(hat: HatRecord, oldPassword: string, newPassword: string, attempt: Attempt): Promise<IssuedToken> {
    if (!oldPassword) throw new NotAllowed('Old password missing', { title: Titles.invalidPassword });
    await this.checkPassword(hat, oldPassword, attempt, 'password change');
    const problem = passwordProblem(newPassword, [hat.name, hat.email, hat.fullName]);
    if (problem) throw new InvalidInput(`newPassword ${problem}`, { field: 'newPassword', title: Titles.invalidPassword });
    const notBefore = await this.replacePassword(hat, newPassword, attempt, 'password_changed');
    await sleep(Math.max(0, notBefore * 1000 - Date.now()));
    const updated = await this.directory.find(hat.name);
    if (!updated) throw new NotAuthenticated('The HAT no longer exists');
    return this.tokens.owner(updated, notBefore);
  }

  /**
   * Checks the owner's password before a change that needs it (`what`: the password, the email),
   * counted by the login throttle; a wrong one is logged as a failed attempt and is NotAllowed.
   */
  async checkPassword(hat: HatRecord, password: string, attempt: Attempt, what: string): Promise<void> {
    await this.throttle.begin(hat.name, attempt.clientIp);
    // Like login: an over-long password is wrong, never cut down to a prefix that might match.
    const ok =
      password.length <= MAX_PASSWORD_LENGTH
        ? await this.hasher.verify(password, hat.passwordHash)
        : await this.hasher.verifyNothing(password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok) {
      await this.activity.record({ hat: hat.name, type: 'login_failed', ...attemptFields(attempt), detail: what });
      throw new NotAllowed('Old password invalid', { title: Titles.invalidPassword });
    }
    await this.throttle.succeeded(hat.name, attempt.clientIp);
  }

  /**
   * Sets a new password (its strength already checked) and ends what the old one started:
   * every browser session, and every owner token issued before the returned second. Shared by
   * the dashboard's change and a reset link from a recovery mail (SPEC 13).
   */
  async replacePassword(
    hat: HatRecord,
    newPassword: string,
    attempt: Attempt,
    type: 'password_changed' | 'password_reset',
  ): Promise<number> {
    const hash = await this.hasher.hash(newPassword);
    const notBefore = Math.floor(Date.now() / 1000) + 1;
    await this.store.hats.setPassword(hat.name, hash, notBefore);
    await this.store.sessions.destroyForHat(hat.name);
    this.directory.forget(hat.name);
    await this.activity.record({ hat: hat.name, type, ...attemptFields(attempt) });
    return notBefore;
  }

  /**
   * Disables the owner (or lets them back in): while disabled, their tokens are refused and
   * they cannot log in, and disabling ends their browser sessions.
   */
  async setDisabled(hat: string, disabled: boolean): Promise<void> {
    await this.store.hats.setDisabled(hat, disabled);
    if (disabled) await this.store.sessions.destroyForHat(hat);
    this.directory.forget(hat);
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
