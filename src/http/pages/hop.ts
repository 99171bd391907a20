import { randomBytes } from 'node:crypto';
import { seeOther, type AppContext } from '../context.js';
import { formActionCanName } from '../security.js';
import { pageSession, sessionOf, type BrowserSession } from '../session.js';

/*
 * Sending the browser back to a service after one of our forms (issue 11, finding 9). Browsers
 * check CSP `form-action` on every redirect that follows a form post, so a page whose forms end
 * at a service names the service's origin there (security.ts `allowFormTarget`). An IPv6 literal
 * (`http://[::1]:8080`) cannot be named in a CSP source expression: a direct 303 to it is
 * blocked. For those alone the form's answer is a 303 to a page of ours (/continue/<id>) that
 * navigates on with a meta refresh and a link, which `form-action` does not govern. Every other
 * destination still gets its direct 303.
 *
 * The destination may carry a token, so it never appears in our own URLs (request log, history,
 * Referer): it waits in the server-side session under a random id, for this browser only, and is
 * taken once. The hop only ever goes where the flow that recorded it decided.
 */

/** A destination waiting for its /continue page. */
export interface Hop {
  /** Where the page sends the browser: the service's URL, or a same-origin step that leads there. */
  to: string;
  /** The service's `host[:port]`, as the page names it. */
  host: string;
  /** Milliseconds since the epoch after which the hop is void. */
  until: number;
}

/** Long enough for a slow page load; the hop is taken by the very next request. */
const HOP_MS = 5 * 60 * 1000;
/** Hops kept per session: a few tabs answering at once. */
const MAX_HOPS = 4;

/** Our hop page for hop `id`. */
export function hopPath(id: string): string {
  return `/continue/${id}`;
}

/**
 * Ends a form's answer by sending the browser to `to`, which leads to the service at
 * `destination` (the same URL, unless `to` is a same-origin step such as the OAuth provider's
 * resume endpoint): a direct 303 when `form-action` can name the destination, else through our
 * hop page.
 */
export function sendBack(ctx: AppContext, to: string, destination = to): void {
  if (formActionCanName(destination)) return seeOther(ctx, to);
  const session = pageSession(ctx);
  const id = randomBytes(16).toString('base64url');
  const now = Date.now();
  const hop: Hop = { to, host: new URL(destination).host, until: now + HOP_MS };
  keepHops(session, [...liveHops(session, now), [id, hop] as [string, Hop]].slice(-MAX_HOPS));
  seeOther(ctx, hopPath(id));
}

/** Takes hop `id` of this browser's session, once; null when it has none such (used, expired, another browser's). */
export function takeHop(ctx: AppContext, id: string): Hop | null {
  const session = sessionOf(ctx);
  if (!session?.hops) return null;
  const live = liveHops(session, Date.now());
  keepHops(session, live.filter(([key]) => key !== id));
  return live.find(([key]) => key === id)?.[1] ?? null;
}

/**
 * The session's hops still in time. Expired ones are dropped wherever the map is read or
 * written: an unused hop may hold a token, and should not wait in the session until it ends.
 */
function liveHops(session: BrowserSession, now: number): Array<[string, Hop]> {
  return Object.entries(session.hops ?? {}).filter(([, hop]) => hop.until > now);
}

function keepHops(session: BrowserSession, hops: Array<[string, Hop]>): void {
  if (hops.length) session.hops = Object.fromEntries(hops);
  else delete session.hops;
}
