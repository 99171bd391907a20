/**
 * The real server, as a child of `bench/run.ts`, so that the load generator and the server do
 * not share an event loop. Configured by the environment exactly as `npm start` is
 * (`startServer(loadConfig())`); the parent chooses DATA_DIR, PORT=0 and LOG_LEVEL.
 *
 * Speaks over IPC: sends `{ready, port}` once listening, answers `rss` with its resident set size
 * and `cpu` with the CPU time it has used (user + system, µs), and stops
 * on `stop` (or when the parent goes away).
 */
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/http/server.js';

export type ToServer = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };
export type FromServer = { type: 'ready'; port: number; pid: number } | { type: 'rss'; rss: number } | { type: 'cpu'; micros: number };

const running = await startServer(loadConfig(process.env));
const send = (m: FromServer) => process.send?.(m);
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

process.on('message', (m: ToServer) => {
  if (m.type === 'rss') send({ type: 'rss', rss: process.memoryUsage().rss });
  if (m.type === 'cpu') send({ type: 'cpu', micros: cpuMicros() });
  if (m.type === 'stop') void running.close().then(() => process.exit(0));
});
process.on('disconnect', () => void running.close().then(() => process.exit(0)));
send({ type: 'ready', port: running.port, pid: process.pid });
