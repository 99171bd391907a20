/**
 * The two reference routes of the benchmark, in a Koa app of their own (a separate process, like
 * the real server): `/answer` only answers, which is the HTTP ceiling of Koa on this machine;
 * `/verify` does only the `jose` RS256 verification of the X-Auth-Token header with a key that
 * was imported once at start-up, which is the least that a real validation must do.
 *
 * Environment: BARE_PUBLIC_PEM (the SPKI key to verify with), BARE_ISSUER. Same IPC as
 * `server-process.ts`: sends `{ready, port}`, answers `cpu`, stops on `stop` or when the parent
 * goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { importSPKI, jwtVerify } from 'jose';

const pem = process.env.BARE_PUBLIC_PEM;
const issuer = process.env.BARE_ISSUER;
if (!pem || !issuer) throw new Error('bare.ts needs BARE_PUBLIC_PEM and BARE_ISSUER');
const key = await importSPKI(pem, 'RS256');

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/answer') {
    ctx.body = { message: 'Authenticated' };
  } else if (ctx.path === '/verify') {
    try {
      await jwtVerify(ctx.get('X-Auth-Token'), key, { algorithms: ['RS256'], issuer });
      ctx.body = { message: 'Authenticated' };
    } catch {
      ctx.status = 401;
      ctx.body = { message: 'The supplied authentication is invalid' };
    }
  }
});

const server = http.createServer(app.callback());
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') stop();
  if (m.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', micros: user + system });
  }
});
process.on('disconnect', stop);
process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port, pid: process.pid });
