/**
 * The demo website's second mode (`npm run demo -- --oidc`): it logs in with a stock OpenID
 * Connect library, `openid-client`, instead of the HAT's own flow — discovery at the HAT, the code
 * flow with PKCE, the ID token and userinfo (SPEC 12). The demo is a registered application
 * (`hat-login-demo`), a public client: no secret.
 */
import { randomBytes } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa from 'koa';
import nunjucks from 'nunjucks';
import * as oc from 'openid-client';
import { listenDemo, parseHatAddress, type DemoOptions, type RunningDemo } from './server.js';
import { schemeFor } from './verify.js';

export const OIDC_DEMO_CLIENT = 'hat-login-demo';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const STATE_COOKIE = 'demo_oidc_state';
const SCOPE = 'openid profile email';

interface Pending {
  hat: string;
  verifier: string;
  nonce: string;
  at: number;
}

/**
 * Node does not resolve `*.localhost` as browsers do: for those names the demo's own requests
 * (discovery, token, userinfo) connect to 127.0.0.1, through Node's own fetch.
 */
function localFetch(): oc.CustomFetch {
  void Response;
  const g = globalThis as unknown as Record<symbol, { constructor: new (o: object) => unknown } | undefined>;
  const Agent = (g[Symbol.for('undici.globalDispatcher.2')] ?? g[Symbol.for('undici.globalDispatcher.1')])?.constructor;
  if (!Agent) return (url, options) => fetch(url, options as RequestInit);
  const dispatcher = new Agent({
    connect: {
      lookup(hostname: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) {
        if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
          return options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
        }
        dnsLookup(hostname, options as never, cb as never);
      },
    },
  });
  return (url, options) => fetch(url, { ...options, dispatcher } as RequestInit);
}

export interface OidcDemoOptions extends DemoOptions {
  clientId?: string;
}

export async function startOidcDemo(options: OidcDemoOptions): Promise<RunningDemo> {
  const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(HERE, 'views')), { autoescape: true });
  const css = readFileSync(path.join(HERE, 'public', 'demo.css'));
  const customFetch = localFetch();
  const clientId = options.clientId ?? OIDC_DEMO_CLIENT;
  const pending = new Map<string, Pending>();
  let url = '';
  const demoName = 'HAT Login Demo (OpenID Connect)';
  const render = (ctx: Koa.Context, view: string, locals: object, status = 200) => {
    ctx.type = 'html';
    ctx.body = views.render(view, { demoName, example: `alice.${options.hatDomain ?? 'hat.localhost'}:3000`, ...locals });
    ctx.status = status;
  };

  async function discover(hat: string): Promise<oc.Configuration> {
    const insecure = schemeFor(hat) === 'http';
    const config = await oc.discovery(new URL(`${schemeFor(hat)}://${hat}`), clientId, undefined, oc.None(), {
      ...(insecure ? { execute: [oc.allowInsecureRequests] } : {}),
      [oc.customFetch]: customFetch,
    });
    config[oc.customFetch] = customFetch;
    return config;
  }

  const app = new Koa();
  app.silent = true;
  const router = new Router();
  app.use(async (ctx, next) => {
    ctx.set('Content-Security-Policy', "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  router.get('/', (ctx) => render(ctx, 'oidc-index.njk', { hat: '' }));
  router.get('/demo.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.body = css;
  });

  /** Discovery at the HAT, then off to its authorization endpoint with PKCE S256, state and nonce. */
  router.get('/login', async (ctx) => {
    const raw = typeof ctx.query.hat === 'string' ? ctx.query.hat : '';
    const parsed = parseHatAddress(raw, options.hatDomain);
    if ('problem' in parsed) return render(ctx, 'oidc-index.njk', { hat: raw, problem: parsed.problem }, 400);
    let config: oc.Configuration;
    try {
      config = await discover(parsed.address);
    } catch (err) {
      return render(ctx, 'oidc-index.njk', { hat: raw, problem: `Discovery at ${parsed.address} failed: ${(err as Error).message}` }, 502);
    }
    const verifier = oc.randomPKCECodeVerifier();
    const nonce = oc.randomNonce();
    const state = randomBytes(16).toString('base64url');
    pending.set(state, { hat: parsed.address, verifier, nonce, at: Date.now() });
    if (pending.size > 1000) pending.delete(pending.keys().next().value as string);
    ctx.cookies.set(STATE_COOKIE, state, { httpOnly: true, sameSite: 'lax', overwrite: true, maxAge: 30 * 60 * 1000 });
    const target = oc.buildAuthorizationUrl(config, {
      redirect_uri: `${url}/callback`,
      scope: SCOPE,
      code_challenge: await oc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    ctx.status = 303;
    ctx.redirect(target.href);
  });

  /** The code exchange, the ID token's checks and userinfo, all by openid-client. */
  router.get('/callback', async (ctx) => {
    const state = ctx.cookies.get(STATE_COOKIE) ?? '';
    ctx.cookies.set(STATE_COOKIE, null, { overwrite: true });
    const started = pending.get(state);
    pending.delete(state);
    if (ctx.query.error === 'access_denied') return render(ctx, 'oidc-result.njk', { outcome: 'denied', hat: started?.hat });
    if (!started) return render(ctx, 'oidc-result.njk', { outcome: 'refused', reason: 'This browser did not start a login here. Please start again.' }, 400);
    try {
      const config = await discover(started.hat);
      const current = new URL(ctx.originalUrl, url);
      const tokens = await oc.authorizationCodeGrant(config, current, { pkceCodeVerifier: started.verifier, expectedState: state, expectedNonce: started.nonce });
      const claims = tokens.claims()!;
      const info = await oc.fetchUserInfo(config, tokens.access_token, claims.sub);
      render(ctx, 'oidc-result.njk', { outcome: 'ok', hat: started.hat, claims, info, scope: tokens.scope });
    } catch (err) {
      render(ctx, 'oidc-result.njk', { outcome: 'refused', hat: started.hat, reason: (err as Error).message }, 401);
    }
  });
  app.use(router.routes());
  app.use(router.allowedMethods());

  const running = await listenDemo(app, options);
  url = running.url;
  return running;
}

/**
 * Registers the demo as an application on a local cluster (SPEC 9's admin API), with its callback
 * as redirect URI. The admin token is ADMIN_TOKEN, or the one the cluster generated in DATA_DIR.
 */
export async function registerOidcDemo(clusterPort: number, callback: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let token = env.ADMIN_TOKEN;
  if (!token) {
    try {
      token = (JSON.parse(readFileSync(path.join(env.DATA_DIR || 'data', 'secrets.json'), 'utf8')) as { ADMIN_TOKEN?: string }).ADMIN_TOKEN;
    } catch {
      return 'no ADMIN_TOKEN and no DATA_DIR/secrets.json: register the demo yourself (README)';
    }
  }
  const body = {
    id: OIDC_DEMO_CLIENT,
    name: 'HAT Login Demo',
    description: 'The demo website, logging in with openid-client',
    homepage: '',
    version: '1.0.0',
    redirectUris: [callback],
    permissions: [],
  };
  const reply = await fetch(`http://localhost:${clusterPort}/api/admin/applications/${OIDC_DEMO_CLIENT}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (reply.status === 404) {
    const created = await fetch(`http://localhost:${clusterPort}/api/admin/applications`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return created.status === 201 ? 'registered' : `registration answered ${created.status}`;
  }
  return reply.ok ? 'registration updated' : `registration answered ${reply.status}`;
}
