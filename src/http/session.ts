import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type Koa from 'koa';
import type { Next } from 'koa';
import session from 'koa-session';
import Csrf from 'csrf';
import type { Config } from '../config.js';
import type { SessionStore } from '../store/ports.js';
import type { AppContext } from './context.js';
import { CsrfRejected } from './errors.js';
import { isBackChannel } from './oidc/provider.js';
import { isApiPath } from './paths.js';
import type { Notice } from './pages/flash.js';
import type { ConsentOffer } from './pages/consent.js';
import type { Hop } from './pages/hop.js';
import type { NewHat } from '../services/signup.js';

export const SESSION_COOKIE = 'hat_session';

/**
 * Everything a browser session may hold: the one description of it. Page code reads and writes
 * the session only through `sessionOf`, typed by this.
 */
export interface BrowserSession {
  /** The secret behind this session's CSRF tokens (below). */
  csrfSecret?: string;
  /** Logged in as the owner of the session's HAT (browser-login.ts)… */
  owner?: boolean;
  /** …since this time, in milliseconds since the epoch. */
  loggedInAt?: number;
  /** A message for the next page this browser sees (pages/flash.ts). */
  flash?: Notice;
  /** Consent pages shown and not yet answered, by offer id (pages/consent.ts). */
  consents?: Record<string, ConsentOffer>;
  /** The HAT just created with the sign-up form, for /signup/ready. */
  newHat?: NewHat;
  /** Its name, and until when /signup/ready offers the one-time hand-off to it (ms since the epoch). */
  handoff?: { hat: string; until: number };
  /**
   * When a request last noted that this logged-in session is in use (at most once a minute,
   * `SEEN_EVERY_MS`): the change makes it saved, and the save is its "last active" time.
   */
  seenAt?: number;
  /** Destinations waiting for their /continue page, by hop id (pages/hop.ts). */
  hops?: Record<string, Hop>;
}

/** How often a logged-in session in use is saved again, so that the owner's list knows it is active. */
export const SEEN_EVERY_MS = 60_000;
/** The User-Agent kept with a session is cut to this many characters. */
const USER_AGENT_CHARS = 300;

/** The session as koa-session gives it: the data above, and its own methods. */
export type LiveSession = BrowserSession & {
  regenerate(): Promise<void> | undefined;
  toJSON(): Record<string, unknown>;
};

/** This request's browser session; null on API paths, which never use one. */
export function sessionOf(ctx: AppContext): LiveSession | null {
  return ctx.session as unknown as LiveSession | null;
}

/** The session of a page request, which always has one (the middleware below runs before pages). */
export function pageSession(ctx: AppContext): LiveSession {
  const session = sessionOf(ctx);
  if (!session) throw new Error('pageSession() needs the session middleware');
  return session;
}

/**
 * The id of the session each request found in the store. A save under that id is an update,
 * which writes nothing once the session was ended meanwhile ("log out everywhere", a password
 * change): a request in flight cannot bring it back. Any other id is a new session (a first
 * save, or a new id after a login).
 */
const loadedIds = new WeakMap<object, string>();

/** The stored session this request came with (verified, of this tenant); null when none. */
export function currentSessionId(ctx: AppContext): string | null {
  return loadedIds.get(ctx) ?? null;
}

/** The tenant a session belongs to: a HAT's name, or '' for the cluster's own pages. */
function tenantKey(ctx: AppContext): string {
  return ctx.state.tenant?.kind === 'hat' ? ctx.state.tenant.hat.name : '';
}

/**
 * The browser session (SPEC 6.7): the cookie holds only a random identifier, the session lives in
 * the store, so logging out or changing the password ends it for real. A session belongs to the
 * HAT it was made on; presented on another host it is simply not there. The cookie is host-only
 * (no Domain), HttpOnly, SameSite=Lax, and Secure when the cluster is served over https.
 */
export function browserSession(app: Koa<any, any>, config: Config, sessions: SessionStore) {
  app.keys = [config.sessionSecret];
  const https = config.publicScheme === 'https';
  const middleware = session(
    {
      key: SESSION_COOKIE,
      maxAge: config.sessionTtlMs,
      httpOnly: true,
      signed: true,
      sameSite: 'lax',
      secure: https,
      renew: true,
      rolling: false,
      genid: () => randomBytes(32).toString('base64url'),
      store: {
        async get(id: string, _maxAge: number, { ctx }: { ctx?: AppContext }) {
          const found = await sessions.get(id);
          if (!found || !ctx || found.hat !== tenantKey(ctx)) return null;
          loadedIds.set(ctx, id);
          return found.data;
        },
        async set(id: string, data: Record<string, unknown>, maxAge: number, { ctx }: { ctx?: AppContext }) {
          // Renewed while in use, but never past SESSION_MAX_AGE_DAYS after the login (SPEC 7).
          const now = Date.now();
          const idleEnd = now + maxAge;
          const loggedInAt = typeof data.loggedInAt === 'number' ? data.loggedInAt : null;
          const end = loggedInAt === null ? idleEnd : Math.min(idleEnd, loggedInAt + config.sessionMaxAgeMs);
          const record = {
            id,
            hat: ctx ? tenantKey(ctx) : '',
            data,
            expiresAt: new Date(end),
            // For the owner's list of sessions (SPEC 7).
            userAgent: (ctx?.get('user-agent') ?? '').slice(0, USER_AGENT_CHARS),
            loggedInAt: data.owner === true && loggedInAt !== null ? new Date(loggedInAt) : null,
            lastSeenAt: new Date(now),
          };
          if (ctx && loadedIds.get(ctx) === id) await sessions.update(record);
          else await sessions.set(record);
        },
        async destroy(id: string) {
          await sessions.destroy(id);
        },
      },
    } as Parameters<typeof session>[0],
    app,
  );
  return async function sessionForPages(ctx: AppContext, next: Next): Promise<void> {
    // API calls never use the session: skipping it spares them a store read when a browser
    // sends the cookie along, and a fresh session id (32 random bytes) when it does not.
    // Nor do the OAuth provider's back-channel endpoints (the token endpoint and the like).
    if (isApiPath(ctx.path) || isBackChannel(ctx.path)) return next();
    // Behind a TLS-terminating proxy Koa may not know the request was https; the cookie still is.
    if (https) (ctx.cookies as unknown as { secure: boolean }).secure = true;
    ctx.state.sessionMaxAgeMs = config.sessionMaxAgeMs;
    return middleware(ctx as never, async () => {
      noteInUse(ctx);
      await next();
    });
  };
}

/** A logged-in session in use is saved at least once a minute: its save time is its "last active". */
function noteInUse(ctx: AppContext): void {
  const session = sessionOf(ctx);
  if (session?.owner !== true) return;
  const now = Date.now();
  if (now - (session.seenAt ?? 0) >= SEEN_EVERY_MS) session.seenAt = now;
}

const csrf = new Csrf();

/** The double-submit cookie of anonymous forms (issue 11, finding 5). */
export const CSRF_COOKIE = 'hat_csrf';
/** Tokens of anonymous forms start with this; session-bound tokens never do. */
const STATELESS = 's1.';
const NONCE = /^[A-Za-z0-9_-]{24}$/;

/**
 * Anonymous forms (the login pages, the sign-up form) get a stateless CSRF token: a signed
 * double-submit. The browser holds a random nonce in an HttpOnly cookie; the form holds an HMAC
 * of that nonce bound to the tenant (the HAT, or the cluster). So a cookieless GET of a login
 * page stores nothing (1,000 GETs used to store 1,000 session rows): a session is stored only
 * once someone logs in (or a page needs one), and its forms then get session-bound tokens.
 */
const statelessKeys = new Map<string, Buffer>();

function statelessKey(ctx: AppContext): Buffer {
  const secret = (ctx.app.keys as unknown as string[] | undefined)?.[0] ?? '';
  let key = statelessKeys.get(secret);
  if (!key) statelessKeys.set(secret, (key = Buffer.from(hkdfSync('sha256', secret, 'hat-login', 'csrf-double-submit', 32))));
  return key;
}

function statelessToken(ctx: AppContext, nonce: string): string {
  return STATELESS + createHmac('sha256', statelessKey(ctx)).update(`${tenantKey(ctx)}|${nonce}`).digest('base64url');
}

function csrfNonce(ctx: AppContext): string | undefined {
  const value = ctx.cookies.get(CSRF_COOKIE, { signed: false });
  return value && NONCE.test(value) ? value : undefined;
}

/** A CSRF token for this page's forms: session-bound once there is a session to bind it to. */
export function csrfToken(ctx: AppContext): string {
  const s = pageSession(ctx);
  let token: string;
  if (s.csrfSecret !== undefined || s.owner === true) {
    s.csrfSecret ??= csrf.secretSync();
    token = csrf.create(s.csrfSecret);
  } else {
    let nonce = csrfNonce(ctx);
    if (!nonce) {
      nonce = randomBytes(18).toString('base64url');
      ctx.cookies.set(CSRF_COOKIE, nonce, { httpOnly: true, sameSite: 'lax', signed: false, overwrite: true, secure: ctx.cookies.secure });
    }
    token = statelessToken(ctx, nonce);
  }
  ctx.state.csrfToken = token;
  return token;
}

/** Throws CsrfRejected unless `submitted` was made for this session, or for this anonymous browser. */
export function checkCsrf(ctx: AppContext, submitted: string | undefined): void {
  if (submitted?.startsWith(STATELESS)) {
    // Made before a login: it is worth nothing to a logged-in session's forms.
    const nonce = csrfNonce(ctx);
    const expected = nonce && sessionOf(ctx)?.owner !== true ? Buffer.from(statelessToken(ctx, nonce)) : null;
    const given = Buffer.from(submitted);
    if (!expected || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new CsrfRejected();
    return;
  }
  const secret = sessionOf(ctx)?.csrfSecret;
  if (typeof secret !== 'string' || !submitted || !csrf.verify(secret, submitted)) throw new CsrfRejected();
}

/** True when a form can still be checked: the session holds a CSRF secret, or the browser its nonce. */
export function sessionIsLive(ctx: AppContext): boolean {
  return typeof sessionOf(ctx)?.csrfSecret === 'string' || csrfNonce(ctx) !== undefined;
}
