/**
 * SPEC 6.1's rule for redirect URLs, in one place: /hatlogin checks the URL a service sends,
 * and the application registry checks the URLs an application registers, by the same rule.
 */

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
