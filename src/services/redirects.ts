/**
 * Every rule about redirect URLs, in one place (SPEC 6.1, 6.2): which URLs are acceptable (the
 * same rule for the URL a service sends to /hatlogin and the URLs an application registers),
 * whether a redirect is one an application registered, how its host is shown to a person, and
 * how the answer's parameters are put into it. Pure functions: no store, no HTTP.
 */
import { parse as parseHost } from 'tldts';
import { InvalidInput, Titles } from '../errors.js';

export const MAX_REDIRECT_LENGTH = 2048;

/** DNS labels as the URL parser leaves them (lower case, IDNs in punycode); IPv4 fits too. */
const PLAIN_HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/** Plain http is allowed only to these: the person's own machine. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '127.0.0.1' || hostname === '[::1]';
}

/**
 * Why `raw` cannot be a redirect URL, as a phrase that follows its name ("must use https …"),
 * or null when it can: absolute, https (plain http only for loopback hosts), no user-info, no
 * fragment, at most 2,048 characters. What a browser's lenient URL parser would quietly repair
 * (whitespace, backslashes, a scheme without `//`, an `@` or `%` in the host part) is refused
 * rather than repaired: a URL that needs repairing is not one a real service sent.
 */
export function redirectProblem(raw: string): string | null {
  if (raw.length > MAX_REDIRECT_LENGTH) return `must be at most ${MAX_REDIRECT_LENGTH} characters`;
  if (/[\s\p{C}\\]/u.test(raw)) return 'must not contain spaces, control characters or backslashes';
  const authority = /^https?:\/\/([^/?#]*)/i.exec(raw)?.[1];
  if (authority === undefined) return 'must be an absolute https:// URL';
  if (authority.includes('@')) return 'must not contain a user name or password';
  if (authority.includes('%')) return 'must not have a percent-encoded host';
  if (raw.includes('#')) return 'must not contain a fragment (#)';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be a valid absolute URL';
  }
  if (!url.hostname) return 'must name a host';
  if (!PLAIN_HOST.test(url.hostname) && !url.hostname.startsWith('[')) {
    return 'must name a plain host (letters, digits, hyphens and dots) or an IP address';
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    return 'must use https (plain http only for localhost, *.localhost, 127.0.0.1 and [::1])';
  }
  if (url.href.length > MAX_REDIRECT_LENGTH) return `must be at most ${MAX_REDIRECT_LENGTH} characters`;
  return null;
}

/** `shop.example.com:8443` of a URL or origin; undefined when it is not one. */
export function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** The host a person will be sent to, split so that a page can make its registrable domain prominent. */
export interface DisplayHost {
  /** `login.` in `login.example.com`; empty when the whole host is shown as one. */
  prefix: string;
  /** `example.com`; the whole host name for IP addresses and *.localhost. */
  domain: string;
  /** `:8443` when the redirect names a port, else empty. */
  port: string;
}

function refuse(detail: string, field: 'redirect' | 'fallback' = 'redirect'): never {
  throw new InvalidInput(detail, { field, title: Titles.invalidLoginRequest });
}

/**
 * SPEC 6.1 for `/hatlogin`'s `redirect` parameter (and 6.8's `fallback`, checked by the same
 * rule): one string that passes `redirectProblem`.
 */
export function parseRedirect(raw: unknown, field: 'redirect' | 'fallback' = 'redirect'): URL {
  const what = field === 'redirect' ? 'redirect URL' : 'fallback URL';
  if (Array.isArray(raw)) refuse(`The service gave its ${what} more than once`, field);
  if (typeof raw !== 'string' || raw === '') refuse(`The service gave no ${what}`, field);
  const problem = redirectProblem(raw);
  if (problem) refuse(`The ${what} ${problem}`, field);
  return new URL(raw);
}

/**
 * Splits a URL's host into a prefix and its registrable domain, for display only, from the Public
 * Suffix List through `tldts` (kept current with the library, not by hand; SPEC 6.9). Private
 * suffixes count too: on `alice.github.io` the person should check `alice.github.io`.
 */
export function displayHost(url: URL): DisplayHost {
  const hostname = url.hostname;
  const port = url.port ? `:${url.port}` : '';
  const parsed = parseHost(hostname, { allowPrivateDomains: true });
  if (parsed.isIp || hostname.startsWith('[') || isLoopbackHost(hostname) || !parsed.domain) {
    return { prefix: '', domain: hostname, port };
  }
  return { prefix: hostname.slice(0, hostname.length - parsed.domain.length), domain: parsed.domain, port };
}

/** The query's `name=value` pieces without the ones named `names`, as they were written. */
function queryWithout(url: URL, names: string[]): string[] {
  return url.search
    .slice(1)
    .split('&')
    .filter((piece) => {
      if (piece === '') return false;
      const key = piece.split('=', 1)[0] ?? '';
      let decoded = key;
      try {
        decoded = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // A malformed key is kept as it was: it cannot be one of ours.
      }
      return !names.includes(decoded);
    });
}

/**
 * `redirect` with `params` put last in its query, replacing any of the same names and dropping
 * those named in `drop`; every other parameter is kept byte for byte.
 */
export function withParams(redirect: string, params: Record<string, string>, drop: string[] = []): string {
  const url = new URL(redirect);
  const kept = queryWithout(url, [...Object.keys(params), ...drop]);
  const added = Object.entries(params).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return `${url.origin}${url.pathname}?${[...kept, ...added].join('&')}`;
}

/** The redirect as the token's `resource`: without a `token` parameter. */
export function resourceOf(url: URL): string {
  const kept = queryWithout(url, ['token']);
  return `${url.origin}${url.pathname}${kept.length ? `?${kept.join('&')}` : ''}`;
}

/** SPEC 6.2: an application's redirect must be one of its own, compared without the query string. */
function withoutQuery(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

export function isRegisteredRedirect(redirectUris: readonly string[], redirect: URL): boolean {
  const target = withoutQuery(redirect);
  return redirectUris.some((uri) => {
    try {
      return withoutQuery(new URL(uri)) === target;
    } catch {
      return false;
    }
  });
}
