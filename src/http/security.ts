import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Next } from 'koa';
import type { Config } from '../config.js';
import type { AppContext } from './context.js';
import { isApiPath } from './paths.js';

/**
 * SPEC 6.7 headers on every response, through helmet: a CSP with no inline script and no
 * framing, X-Frame-Options DENY, Referrer-Policy no-referrer. Responses are `no-store` unless a
 * route says otherwise (the public key and static files do). API responses get the subset that
 * matters for a body that is never rendered as a page, with a CSP that allows nothing.
 */
export function securityHeaders(config: Config) {
  const https = config.publicScheme === 'https';
  const headers = precomputed({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600 } : false,
    crossOriginEmbedderPolicy: false,
  });
  headers.push(['Cache-Control', 'no-store']);
  // JSON and the key's PEM are never rendered as a document: they need no page policy, only to
  // be neither sniffed, framed, embedded by other sites nor cached. Fewer headers on the API
  // spare each token validation a few microseconds.
  const apiHeaders = headers
    .filter(([name]) => API_HEADERS.has(name))
    .map(([name, value]): [string, string] => [name, name === 'Content-Security-Policy' ? API_CSP : value]);
  return function secure(ctx: AppContext, next: Next): Promise<void> {
    const res = ctx.res;
    for (const [name, value] of isApiPath(ctx.path) ? apiHeaders : headers) res.setHeader(name, value);
    return next();
  };
}

const API_CSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'";
const API_HEADERS = new Set([
  'Content-Security-Policy',
  'Cross-Origin-Resource-Policy',
  'Referrer-Policy',
  'Strict-Transport-Security',
  'X-Content-Type-Options',
  'X-Frame-Options',
  'Cache-Control',
]);

/**
 * Helmet's headers for these options. None of them depends on the request, so helmet runs once
 * here and each response only copies the result, instead of running a dozen middleware.
 */
function precomputed(options: Parameters<typeof helmet>[0]): Array<[string, string]> {
  const recorded: Array<[string, string]> = [];
  const res = {
    setHeader: (name: string, value: unknown) => recorded.push([name, String(value)]),
    removeHeader: () => {},
  };
  let done = false;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => (done = true));
  if (!done) throw new Error('helmet did not finish synchronously');
  return recorded;
}

/**
 * Lets this page's forms lead to `origin`: browsers apply `form-action` to the redirect that
 * follows a form post, so the approval page must name the service it sends the person back to.
 * An origin CSP cannot name is left out (the header stays valid); its forms go by the hop page
 * (pages/hop.ts).
 */
export function allowFormTarget(ctx: AppContext, origin: string): void {
  const csp = ctx.response.get('Content-Security-Policy');
  if (csp && formActionCanName(origin)) ctx.set('Content-Security-Policy', csp.replace("form-action 'self'", `form-action 'self' ${origin}`));
}

/**
 * Whether a CSP source expression can name the origin of `url`: CSP's host grammar has letters,
 * digits, hyphens and dots only, so an IPv6 literal (`http://[::1]:8080`) cannot be allowed.
 */
export function formActionCanName(url: string): boolean {
  try {
    return !new URL(url).hostname.startsWith('[');
  } catch {
    return true; // a path on this server: 'self'
  }
}

/**
 * Lets this page show images from these origins (an application's logo, SPEC 6.4 and 7): only
 * https origins, added to `img-src` for this response alone, so every other page keeps images
 * to its own origin.
 */
export function allowImagesFrom(ctx: AppContext, urls: Iterable<string>): void {
  const origins = new Set<string>();
  for (const url of urls) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'https:') origins.add(parsed.origin);
    } catch {
      // not a URL: nothing to allow
    }
  }
  const csp = ctx.response.get('Content-Security-Policy');
  if (!csp || origins.size === 0) return;
  ctx.set('Content-Security-Policy', csp.replace(/img-src ([^;]*)/, (_, sources: string) => `img-src ${sources} ${[...origins].join(' ')}`));
}
