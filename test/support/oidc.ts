import { lookup as dnsLookup } from 'node:dns';
import * as oc from 'openid-client';
import { STRONG_PASSWORD, type TestServer } from './server.js';
import { FormClient, unescape, valueOf } from './forms.js';
import type { Reply } from './http.js';

/**
 * Node does not resolve `*.localhost`: a fetch for openid-client whose connections go to
 * 127.0.0.1 for those names (and to DNS for everything else), through Node's own undici Agent.
 */
function localhostDispatcher(): unknown {
  void Response;
  const g = globalThis as unknown as Record<symbol, { constructor: new (o: object) => unknown } | undefined>;
  const Agent = (g[Symbol.for('undici.globalDispatcher.2')] ?? g[Symbol.for('undici.globalDispatcher.1')])!.constructor;
  return new Agent({
    connect: {
      lookup(hostname: string, options: { all?: boolean }, cb: (...a: unknown[]) => void) {
        if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
          return options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
        }
        dnsLookup(hostname, options as never, cb as never);
      },
    },
  });
}

const dispatcher = localhostDispatcher();
export const localFetch: oc.CustomFetch = (url, options) => fetch(url, { ...options, dispatcher } as RequestInit);

export function issuerOf(server: TestServer, hat: string): URL {
  return new URL(`http://${server.hatHost(hat)}`);
}

/** openid-client, unmodified, pointed at a HAT over plain http (the test issuer). */
export async function discover(
  server: TestServer,
  hat: string,
  clientId: string,
  secret?: string,
  auth?: oc.ClientAuth,
): Promise<oc.Configuration> {
  const config = await oc.discovery(issuerOf(server, hat), clientId, secret, auth ?? (secret ? undefined : oc.None()), {
    execute: [oc.allowInsecureRequests],
    [oc.customFetch]: localFetch,
  });
  config[oc.customFetch] = localFetch;
  return config;
}

export interface Started {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** A fresh authorization request with PKCE S256, state and nonce. */
export async function authorizationRequest(config: oc.Configuration, params: Record<string, string>, par = false): Promise<Started> {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const all = { ...params, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, nonce };
  const url = par ? await oc.buildAuthorizationUrlWithPAR(config, all) : oc.buildAuthorizationUrl(config, all);
  return { url, verifier, state, nonce };
}

/** The target of a page's meta refresh. */
export const HOP = /<meta http-equiv="refresh" content="0;url=([^"]+)">/;

export interface BrowserOptions {
  password?: string;
  /** What to answer on the consent page: approve (default) or deny. */
  decision?: 'approve' | 'deny';
  /** Called with each page our server showed (login, consent), for assertions. */
  onPage?: (kind: 'login' | 'consent', reply: Reply) => void;
}

/**
 * Plays the browser through the HAT's pages: follows the HAT's redirects, logs in on our login
 * page, answers our consent page, and returns the URL it was finally sent to off the HAT.
 */
export async function playBrowser(browser: FormClient, start: URL, options: BrowserOptions = {}): Promise<URL> {
  let target = start;
  for (let step = 0; step < 12; step++) {
    const reply = await browser.get(target.pathname + target.search);
    let next: string | undefined;
    if (reply.status === 303 || reply.status === 302) next = String(reply.headers.location);
    else if (reply.status === 200 && reply.text.includes('/login"') && valueOf(reply.text, 'password') !== null) {
      options.onPage?.('login', reply);
      const uid = /action="\/oauth\/interaction\/([^/]+)\/login"/.exec(reply.text)![1]!;
      const after = await browser.post(`/oauth/interaction/${uid}/login`, { password: options.password ?? STRONG_PASSWORD });
      if (after.status !== 303) throw Object.assign(new Error(`login answered ${after.status}`), { reply: after });
      next = String(after.headers.location);
    } else if (reply.status === 200 && reply.text.includes('/confirm"')) {
      options.onPage?.('consent', reply);
      const uid = /action="\/oauth\/interaction\/([^/]+)\/confirm"/.exec(reply.text)![1]!;
      const answer =
        options.decision === 'deny'
          ? await browser.post(`/oauth/interaction/${uid}/abort`, {})
          : await browser.post(`/oauth/interaction/${uid}/confirm`, { shown: valueOf(reply.text, 'shown') ?? '' });
      if (answer.status !== 303) throw Object.assign(new Error(`consent answered ${answer.status}`), { reply: answer });
      next = String(answer.headers.location);
    } else if (reply.status === 200 && HOP.test(reply.text)) {
      // Our hop page before a website CSP cannot name (pages/hop.ts): a browser follows its refresh.
      next = unescape(HOP.exec(reply.text)![1]!);
    } else {
      throw Object.assign(new Error(`unexpected page ${reply.status}: ${reply.text.slice(0, 300)}`), { reply });
    }
    const url = new URL(next, target);
    if (url.host !== start.host) return url;
    target = url;
  }
  throw new Error('too many redirects on the HAT');
}

/** The whole code flow in one call: request (optionally pushed), the HAT's pages, the code exchange. */
export async function codeFlow(
  config: oc.Configuration,
  browser: FormClient,
  params: Record<string, string>,
  options: BrowserOptions & { par?: boolean; dpop?: oc.DPoPHandle } = {},
): Promise<oc.TokenEndpointResponse & oc.TokenEndpointResponseHelpers> {
  const started = await authorizationRequest(config, params, options.par ?? false);
  const callback = await playBrowser(browser, started.url, options);
  return oc.authorizationCodeGrant(
    config,
    callback,
    // With max_age, openid-client also checks that the ID token's auth_time is there and recent enough.
    { pkceCodeVerifier: started.verifier, expectedState: started.state, expectedNonce: started.nonce, ...(params.max_age === undefined ? {} : { maxAge: Number(params.max_age) }) },
    undefined,
    options.dpop ? { DPoP: options.dpop } : undefined,
  );
}

/** The error code of an openid-client failure, whether a response body or a WWW-Authenticate challenge. */
export function oauthError(err: unknown): string | undefined {
  const e = err as { error?: string; cause?: unknown };
  if (e.error) return e.error;
  if (Array.isArray(e.cause)) return (e.cause[0] as { parameters?: { error?: string } })?.parameters?.error;
  return (e.cause as { error?: string } | undefined)?.error;
}
