import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { importSPKI, jwtVerify, type JWTPayload } from 'jose';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/ports.js';
import type { Reply } from './http.js';
import { FormClient, valueOf } from './forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from './server.js';

/** A test server whose store the test can also reach (to register applications, read grants). */
export async function startWithStore(env: Record<string, string> = {}): Promise<{ server: TestServer; store: Store; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-h4-store-'));
  const store = await openSqliteStore(dir);
  const server = await startTestServer(env, store);
  return {
    server,
    store,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function flowPath(name: string, redirect: string): string {
  return `/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent(redirect)}`;
}

/** Shows the login page for `name`/`redirect` and submits `password`; returns the login POST's reply. */
export async function logInThroughPage(browser: FormClient, name: string, redirect: string, password = STRONG_PASSWORD): Promise<Reply> {
  const page = await browser.get(flowPath(name, redirect));
  if (page.status !== 200) throw new Error(`login page answered ${page.status}: ${page.text.slice(0, 300)}`);
  return browser.post('/hatlogin/login', { name, redirect, password });
}

/** Logs in and returns the approval page (the flow's next page after login). */
export async function approvalPage(browser: FormClient, name: string, redirect: string): Promise<Reply> {
  const login = await logInThroughPage(browser, name, redirect);
  if (login.status !== 303) throw new Error(`login answered ${login.status}`);
  return browser.get(login.headers.location!);
}

/** Posts the approval page's approve (or deny) form as a browser would. */
export function answer(browser: FormClient, page: Reply, decision: 'approve' | 'deny'): Promise<Reply> {
  return browser.post(`/hatlogin/${decision}`, {
    pending: valueOf(page.text, 'pending') ?? '',
    name: valueOf(page.text, 'name') ?? '',
    redirect: valueOf(page.text, 'redirect') ?? '',
  });
}

/** Verifies a token as a relying party does: signature against the HAT's /publickey, and its issuer. */
export async function verifyAsRelyingParty(server: TestServer, hat: string, token: string): Promise<JWTPayload & Record<string, unknown>> {
  const pem = (await server.call(hat, '/publickey')).text;
  const { payload } = await jwtVerify(token, await importSPKI(pem, 'RS256'), { issuer: server.hatHost(hat), algorithms: ['RS256'] });
  return payload as JWTPayload & Record<string, unknown>;
}

/** The value of cookie `name` set by `reply` ('' when it cleared it, null when it did not set it). */
export function setCookie(reply: Reply, name: string): { value: string; attributes: string[] } | null {
  for (const line of reply.headers['set-cookie'] ?? []) {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    const at = pair!.indexOf('=');
    if (pair!.slice(0, at) === name) return { value: pair!.slice(at + 1), attributes: attributes.map((a) => a.toLowerCase()) };
  }
  return null;
}
