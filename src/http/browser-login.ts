import type { Config } from '../config.js';
import type { Services } from '../services/index.js';
import type { Attempt } from '../services/owners.js';
import { hatOf, type AppContext } from './context.js';
import { DeviceCookies } from './device-cookie.js';
import { csrfToken, pageSession, sessionOf } from './session.js';

/**
 * Logs the owner of this request's HAT in with `password` (the page's own login form).
 * Throws NotAuthenticated (wrong password, 401) or TooManyAttempts (429) from `owners.login`,
 * which also counts the attempt and writes it to the activity log.
 *
 * A browser with this HAT's device cookie is throttled by its own limit only (SPEC 6.3); a
 * successful login gives the browser that cookie (or renews it).
 *
 * On success the session starts over under a new identifier (so an identifier planted before
 * login is worthless) holding only `owner`, `loggedInAt` and a fresh CSRF secret: pages rendered
 * before the login cannot post forms after it. Call `csrfToken(ctx)` again for the next page.
 */
export async function logIn(
  ctx: AppContext,
  services: Services,
  password: string,
  attempt: Omit<Attempt, 'clientIp'>,
): Promise<void> {
  const hat = hatOf(ctx);
  const cookies = deviceCookies(services.config);
  const device = cookies.deviceOf(ctx, hat.name);
  await services.owners.login(hat, hat.name, password, { clientIp: ctx.ip, ...attempt, ...(device ? { device } : {}) });
  cookies.remember(ctx, hat.name);
  await startOwnerSession(ctx);
}

/**
 * Logs the owner of this request's HAT in with the one-time hand-off made at sign-up
 * (services/handoff.ts) instead of the password: the same session, device cookie and activity
 * entry as `logIn`. Throws NotFound when the hand-off cannot be used.
 */
export async function logInWithHandoff(ctx: AppContext, services: Services, secret: unknown): Promise<void> {
  const hat = hatOf(ctx);
  await services.handoff.redeem(hat, secret, ctx.ip);
  deviceCookies(services.config).remember(ctx, hat.name);
  await startOwnerSession(ctx);
}

const devices = new WeakMap<Config, DeviceCookies>();

/** One DeviceCookies per configuration (its key is derived once). */
function deviceCookies(config: Config): DeviceCookies {
  let found = devices.get(config);
  if (!found) devices.set(config, (found = new DeviceCookies(config)));
  return found;
}

/**
 * Makes this browser's session a new, logged-in owner session (as after `logIn`), without a
 * password check: for the dashboard after a password change, which ended every session of the
 * HAT but should keep the person who changed it logged in on this browser.
 */
export async function startOwnerSession(ctx: AppContext): Promise<void> {
  const session = pageSession(ctx);
  for (const key of Object.keys(session.toJSON())) delete session[key as keyof typeof session];
  session.owner = true;
  session.loggedInAt = Date.now();
  csrfToken(ctx);
  await session.regenerate();
}

/**
 * Ends the session for real: it is removed from the store, so a replayed cookie finds nothing.
 * Only a logged-in session's end is written to the activity log: anyone can hold a session.
 */
export async function logOut(ctx: AppContext, services: Services, via: Attempt['via']): Promise<void> {
  if (isLoggedIn(ctx)) {
    await services.activity.record({ hat: hatOf(ctx).name, type: 'logout', via, clientIp: ctx.ip });
  }
  ctx.session = null;
}

/**
 * True when this browser's session is logged in as the owner of this request's HAT. A session
 * older than SESSION_MAX_AGE_DAYS, or that began before the latest password change, or on a
 * disabled HAT, is not: the latter end every
 * session, and this also covers one that a request running at that moment saved back.
 */
export function isLoggedIn(ctx: AppContext): boolean {
  const session = sessionOf(ctx);
  if (session?.owner !== true || ctx.state.tenant?.kind !== 'hat') return false;
  const hat = ctx.state.tenant.hat;
  const loggedInAt = session.loggedInAt ?? 0;
  // SPEC 7: an absolute lifetime besides the idle one; a session kept busy still ends.
  const maxAge = ctx.state.sessionMaxAgeMs ?? 0;
  if (maxAge > 0 && Date.now() - loggedInAt >= maxAge) return false;
  return !hat.disabled && loggedInAt >= hat.tokensNotBefore * 1000;
}
