import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startServer, type RunningServer } from '../../src/http/server.js';
import type { Logger } from '../../src/log.js';
import type { Store } from '../../src/store/ports.js';
import { request, type Reply, type RequestOptions } from './http.js';

export const STRONG_PASSWORD = 'correct horse battery staple';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** `alice.hat.localhost:<port>` */
  hatHost(name: string): string;
  clusterHost: string;
  /** A request to the HAT `name` (or to the cluster when name is null). */
  call(name: string | null, path: string, options?: RequestOptions): Promise<Reply>;
  /** Signs up a HAT through the API and returns its owner token. */
  createHat(name: string, password?: string): Promise<{ token: string; userId: string }>;
  ownerToken(name: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real server on a free port of 127.0.0.1, with its own temporary data folder and sign-up
 * limits out of the way. Pass `store` to run against another adapter,
 * `options.log` to read the server's log lines.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  store?: Store,
  options: { log?: Logger } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hat-test-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    // Tests sign up many HATs from 127.0.0.1; the limits' own tests set these back.
    SIGNUP_PER_CLIENT_HOUR: '100000',
    SIGNUP_PER_MINUTE: '100000',
    ...env,
  });
  const running = await startServer(config, { ...(store ? { store } : {}), ...(options.log ? { log: options.log } : {}) });
  const clusterHost = `${running.config.hatDomain}:${running.port}`;
  const hatHost = (name: string) => `${name}.${clusterHost}`;
  const call = (name: string | null, p: string, options?: RequestOptions) =>
    request(running.port, name === null ? clusterHost : hatHost(name), p, options);
  const ownerToken = async (name: string, password = STRONG_PASSWORD) => {
    const reply = await call(name, '/users/access_token', {
      headers: { username: name, password: encodeURIComponent(password) },
    });
    if (reply.status !== 200) throw new Error(`login to ${name} failed: ${reply.status} ${reply.text}`);
    return reply.json<{ accessToken: string }>().accessToken;
  };
  return {
    ...running,
    dataDir,
    clusterHost,
    hatHost,
    call,
    ownerToken,
    async createHat(name, password = STRONG_PASSWORD) {
      const reply = await call(null, '/api/signup', {
        method: 'POST',
        body: { username: name, email: `${name}@example.com`, pass: password, passRepeat: password, fullName: name },
      });
      if (reply.status !== 201) throw new Error(`signup of ${name} failed: ${reply.status} ${reply.text}`);
      return { token: await ownerToken(name, password), userId: reply.json<{ userId: string }>().userId };
    },
    async stop() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
