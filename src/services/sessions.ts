import { createHash } from 'node:crypto';
import type { HatRecord, SessionStore } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { describeBrowser } from './user-agent.js';

/** One logged-in browser session of the HAT, as its owner sees it (SPEC 7). */
export interface OwnerSession {
  /**
   * Names the session in the owner's forms: a digest of its id, never the id, which is the
   * secret behind the browser's cookie and must not appear on a page.
   */
  key: string;
  /** "Firefox on Linux", from the User-Agent it sent (only a hint). */
  browser: string;
  loggedInAt: Date;
  lastSeenAt: Date;
  /** The browser asking. */
  current: boolean;
}

/** A session's key: 128 bits of SHA-256 of its id (base64url). */
export function sessionKey(id: string): string {
  return createHash('sha256').update(`session-key|${id}`).digest('base64url').slice(0, 22);
}

/**
 * The owner of browser sessions as records: lists a HAT's logged-in sessions and ends them, one
 * or all ("log out everywhere"), and ends them all for a password change or a disabled HAT. The
 * HTTP layer keeps the session of the request itself (http/session.ts); ending one here ends it
 * for real, since every request reads its session from the store.
 */
export class BrowserSessions {
  constructor(
    private readonly store: SessionStore,
    private readonly activity: ActivityLog,
  ) {}

  /**
   * The HAT's logged-in sessions: the asking browser's first, then the most recently used. One that began before the latest
   * password change is not listed: it no longer counts as logged in (http/browser-login.ts).
   */
  async list(hat: HatRecord, currentId: string | null): Promise<OwnerSession[]> {
    const sessions = await this.store.listLoggedIn(hat.name);
    return sessions
      .filter((s) => s.loggedInAt.getTime() >= hat.tokensNotBefore * 1000)
      .map((s) => ({
        key: sessionKey(s.id),
        browser: describeBrowser(s.userAgent),
        loggedInAt: s.loggedInAt,
        lastSeenAt: s.lastSeenAt.getTime() > 0 ? s.lastSeenAt : s.loggedInAt,
        current: s.id === currentId,
      }))
      .sort((a, b) => Number(b.current) - Number(a.current));
  }

  /**
   * Ends the session named by `key` (logged as a logout); null when the HAT has no such
   * logged-in session (ended already). When it is the asking browser's own, the caller ends
   * that browser's session too.
   */
  async end(hat: HatRecord, key: string, actor: { clientIp: string; currentId: string | null }): Promise<OwnerSession | null> {
    const sessions = await this.store.listLoggedIn(hat.name);
    const found = sessions.find((s) => sessionKey(s.id) === key);
    if (!found) return null;
    await this.store.destroy(found.id);
    const browser = describeBrowser(found.userAgent);
    const current = found.id === actor.currentId;
    await this.activity.record({
      hat: hat.name,
      type: 'logout',
      via: 'dashboard',
      clientIp: actor.clientIp,
      detail: current ? `this browser (${browser})` : `ended from another browser: ${browser}`,
    });
    return { key, browser, loggedInAt: found.loggedInAt, lastSeenAt: found.lastSeenAt, current };
  }

  /** "Log out everywhere": ends every session of the HAT, the asking browser's included; how many. */
  async endAll(hat: HatRecord, actor: { clientIp: string }): Promise<number> {
    const ended = await this.store.destroyForHat(hat.name);
    await this.activity.record({
      hat: hat.name,
      type: 'logout',
      via: 'dashboard',
      clientIp: actor.clientIp,
      detail: `everywhere (${ended} session${ended === 1 ? '' : 's'} ended)`,
    });
    return ended;
  }

  /** Ends every session of the HAT without a word in the log (the caller logs why: a password change, a disabled HAT). */
  endAllSilently(hat: string): Promise<number> {
    return this.store.destroyForHat(hat);
  }
}
