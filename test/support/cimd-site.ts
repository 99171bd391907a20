import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A website identified by its Client ID Metadata Document (SPEC 12) on https://localhost, with
 * the HAT server as a process of its own that trusts the site's self-signed certificate:
 * NODE_EXTRA_CA_CERTS is read by Node only when a process starts. For the browser tests; the
 * HTTP suite (test/http/oauth-cimd.test.ts) serves more documents of its own, with this
 * module's selfSigned and startChild.
 */
export interface CimdWorld {
  /** https://localhost:<port>; the client_id is `${site}/client.json`, the redirect `${site}/callback`. */
  site: string;
  /** The HAT server's port; HATs live at `<name>.hat.localhost:<port>`. */
  port: number;
  adminToken: string;
  stop(): Promise<void>;
}

/** A self-signed certificate for localhost, made with the openssl CLI for this run. */
export function selfSigned(dir: string): { key: Buffer; cert: Buffer; certFile: string } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

/**
 * The HAT server (src/main.ts) as a process of its own that trusts `certFile`, on a free port;
 * `env` adds settings (e.g. SCRYPT_LOG2N, OIDC_CIMD_CACHE_MAX_SECONDS) to its environment.
 */
export function startChild(dataDir: string, certFile: string, adminToken: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_EXTRA_CA_CERTS: certFile, ADMIN_TOKEN: adminToken, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const listen = /"listen":"[^"]*:(\d+)"/.exec(out);
      if (listen) {
        clearTimeout(timer);
        resolve({ child, port: Number(listen[1]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${out}`)));
  });
}

/** The site (its document names itself `clientName`) and a HAT server process that trusts it. */
export async function startCimdWorld(clientName = 'Recipe Box'): Promise<CimdWorld> {
  const dir = mkdtempSync(path.join(tmpdir(), 'hat-cimd-e2e-'));
  const tls = selfSigned(dir);
  let site = '';
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    if (new URL(req.url ?? '/', site).pathname !== '/client.json') {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ client_id: `${site}/client.json`, client_name: clientName, redirect_uris: [`${site}/callback`], token_endpoint_auth_method: 'none' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site = `https://localhost:${(server.address() as AddressInfo).port}`;
  const adminToken = 'cimd-e2e-admin-token-0123456789abcdef';
  const { child, port } = await startChild(path.join(dir, 'data'), tls.certFile, adminToken);
  return {
    site,
    port,
    adminToken,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      server.close();
      server.closeAllConnections();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
