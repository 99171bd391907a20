/**
 * A third-party website that offers "Log in with HAT", to try the whole flow by hand
 * (`npm run demo`) and to drive it in the browser tests. It is deliberately small and keeps
 * nothing but a cookie naming the HAT the visitor claimed.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';
import nunjucks from 'nunjucks';
import { LoginRefused, schemeFor, verifyLogin } from './verify.js';

export const DEMO_NAME = 'HAT Login Demo';
const CLAIM_COOKIE = 'demo_claimed_hat';
const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface DemoOptions {
  /** 0 picks a free port. */
  port: number;
  /** When set, only HATs under this domain are accepted (e.g. `hat.localhost`). */
  hatDomain?: string;
  /** Listening address; 127.0.0.1 by default (`::1` for a website on the IPv6 loopback). */
  host?: string;
}

export interface RunningDemo {
  /** `http://localhost:<port>` (or `http://[::1]:<port>`): the address the demo gives HATs, and browsers use. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const ADDRESS = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+(?::\d{1,5})?$/;

/** `https://Alice.hat.localhost:3000/` → `alice.hat.localhost:3000`, or a reason why it is not a HAT address. */
export function parseHatAddress(raw: string, hatDomain?: string): { address: string } | { problem: string } {
  const address = raw.trim().toLowerCase().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!address) return { problem: 'Please enter the address of your HAT.' };
  if (!ADDRESS.test(address)) return { problem: 'That does not look like a HAT address. It looks like alice.hat.localhost:3000.' };
  const hostname = address.replace(/:\d+$/, '');
  if (hatDomain && !hostname.endsWith(`.${hatDomain}`)) {
    return { problem: `This demo accepts HATs under ${hatDomain}, such as alice.${hatDomain}:3000.` };
  }
  return { address };
}

function createDemoApp(options: DemoOptions, publicUrl: () => string): Koa {
  const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(path.join(HERE, 'views')), { autoescape: true });
  const css = readFileSync(path.join(HERE, 'public', 'demo.css'));
  const app = new Koa();
  app.silent = true;
  const router = new Router();
  const callbackUrl = () => `${publicUrl()}/callback`;
  const render = (ctx: Koa.Context, view: string, locals: object, status = 200) => {
    ctx.type = 'html';
    ctx.body = views.render(view, { demoName: DEMO_NAME, example: `alice.${options.hatDomain ?? 'hat.localhost'}:3000`, ...locals });
    ctx.status = status;
  };

  app.use(async (ctx, next) => {
    // Nothing inline, nothing framed; no form-action, since the login form leads to the visitor's HAT.
    ctx.set('Content-Security-Policy', "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Cache-Control', 'no-store');
    await next();
  });

  router.get('/', (ctx) => render(ctx, 'index.njk', { hat: '' }));

  router.get('/demo.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.body = css;
  });

  /** Sends the visitor to their HAT's /hatlogin, remembering which HAT they said is theirs. */
  router.get('/login', (ctx) => {
    const raw = typeof ctx.query.hat === 'string' ? ctx.query.hat : '';
    const parsed = parseHatAddress(raw, options.hatDomain);
    if ('problem' in parsed) return render(ctx, 'index.njk', { hat: raw, problem: parsed.problem }, 400);
    ctx.cookies.set(CLAIM_COOKIE, parsed.address, { httpOnly: true, sameSite: 'lax', overwrite: true, maxAge: 30 * 60 * 1000 });
    const target = new URL(`${schemeFor(parsed.address)}://${parsed.address}/hatlogin`);
    target.searchParams.set('name', DEMO_NAME);
    target.searchParams.set('redirect', callbackUrl());
    ctx.status = 303;
    ctx.redirect(target.href);
  });

  /** Where the HAT sends the visitor back: with `token`, or with `error=access_denied`. */
  router.get('/callback', async (ctx) => {
    const claimed = ctx.cookies.get(CLAIM_COOKIE);
    ctx.cookies.set(CLAIM_COOKIE, null, { overwrite: true });
    if (ctx.query.error === 'access_denied') {
      return render(ctx, 'result.njk', { outcome: 'denied', hat: claimed });
    }
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    if (!claimed) return render(ctx, 'result.njk', { outcome: 'refused', reason: 'This browser did not start a login here (or it took longer than 30 minutes). Please start again.' }, 400);
    if (!token) return render(ctx, 'result.njk', { outcome: 'refused', hat: claimed, reason: 'The HAT sent no token back.' }, 400);
    try {
      const login = await verifyLogin(token, claimed, callbackUrl());
      const { claims } = login;
      render(ctx, 'result.njk', {
        outcome: 'ok',
        hat: login.hat,
        scope: claims.accessScope,
        application: claims.application,
        subject: claims.sub,
        issuedAt: claims.iat ? new Date(claims.iat * 1000).toISOString() : '',
        expiresAt: claims.exp ? new Date(claims.exp * 1000).toISOString() : '',
      });
    } catch (err) {
      if (!(err instanceof LoginRefused)) throw err;
      render(ctx, 'result.njk', { outcome: 'refused', hat: claimed, reason: err.message }, 401);
    }
  });

  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  let url = '';
  const running = await listenDemo(createDemoApp(options, () => url), options);
  url = running.url;
  return running;
}

/**
 * Serves a demo website (either mode) on `options.port` of loopback; its url is
 * http://localhost:<port>, or http://[::1]:<port> when it listens on the IPv6 loopback.
 */
export async function listenDemo(app: Koa, options: DemoOptions): Promise<RunningDemo> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: options.host?.includes(':') ? `http://[${options.host}]:${port}` : `http://localhost:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--oidc') || process.env.DEMO_MODE === 'oidc') {
    const { registerOidcDemo, startOidcDemo } = await import('./oidc.js');
    const demo = await startOidcDemo({ port: Number(process.env.DEMO_PORT || 4000), hatDomain: process.env.HAT_DOMAIN || 'hat.localhost' });
    const registered = await registerOidcDemo(Number(process.env.PORT || 3000), `${demo.url}/callback`).catch((err: Error) => `could not register (${err.message})`);
    console.log(`${DEMO_NAME} (OpenID Connect mode) is running: open ${demo.url} and enter your HAT's address. Demo application: ${registered}.`);
    return;
  }
  const demo = await startDemo({ port: Number(process.env.DEMO_PORT || 4000), hatDomain: process.env.HAT_DOMAIN || 'hat.localhost' });
  console.log(`${DEMO_NAME} is running: open ${demo.url} and enter your HAT's address (e.g. alice.hat.localhost:3000).`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
