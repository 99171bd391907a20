import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { createServices, type Services } from '../services/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/ports.js';
import { createApp } from './app.js';
import { drainingServer } from './shutdown.js';
import { scheduleKeyRotation } from '../services/key-schedule.js';

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  config: Config;
  services: Services;
  server: http.Server;
  /** Stops at once, cutting requests in flight (tests). */
  close(): Promise<void>;
  /**
   * Stops gracefully (SIGTERM): no new connections, requests in flight finish (cut at
   * `deadlineMs`), then the log is flushed and the store closed.
   */
  shutdown(deadlineMs: number): Promise<void>;
}

/** Errors Node's HTTP parser raises before Koa sees the request still get a SPEC 3 body. */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const [status, title, cause] = tooLarge
    ? [431, 'Request Header Fields Too Large', 'The request headers are too large']
    : [400, 'Bad Request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ message: title, cause });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Opens the store and starts listening. With `port: 0` a free port is chosen first and becomes
 * the public port, so that tests can run side by side.
 */
export async function startServer(config: Config, options: { store?: Store; log?: Logger } = {}): Promise<RunningServer> {
  // A request without Host reaches the app (tenancy answers it with a SPEC 3 400) instead of
  // Node's bare 400.
  const server = http.createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000, requireHostHeader: false });
  server.on('clientError', answerClientError);
  const draining = drainingServer(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const effective: Config = config.port === 0 ? { ...config, port, publicPort: port } : config;
  const log = options.log ?? createLogger(effective.logLevel);
  let store: Store;
  let services: Services;
  let keySchedule: { stop(): void } | undefined;
  try {
    store = options.store ?? (await openStore(effective));
    services = createServices(effective, store, log);
    await services.registry.migrate();
    server.on('request', createApp(services).callback());
    keySchedule = scheduleKeyRotation(effective.keyRotationDays, services.hatAdmin, log);
  } catch (err) {
    // Nothing is served yet: give the port back rather than leave a socket that never answers.
    server.close();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    config: effective,
    services,
    server,
    async shutdown(deadlineMs) {
      keySchedule?.stop();
      const cut = await draining.drain(deadlineMs);
      if (cut > 0) log.warn({ cut, deadlineMs }, 'shutdown deadline reached: connections with requests still running were cut');
      await store.close();
      log.info('stopped: requests finished, store closed');
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
    async close() {
      keySchedule?.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Mail still leaving writes to the store (its link, the activity log) before it closes.
      await services.links.settled();
      await services.passwordRules.close();
      await store.close();
    },
  };
}
