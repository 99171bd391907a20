import { ConfigError, loadConfig, clusterAddress, baseUrl } from './config.js';
import { startServer } from './http/server.js';

/** `npm start`: one cluster on PORT, with the embedded store unless MONGODB_URI is set. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`hat-login: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  let running;
  try {
    running = await startServer(config);
  } catch (err) {
    // A taken port or an unreachable MongoDB is an operator's problem: one clear line, no stack.
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? `port ${config.port} on ${config.host} is already in use` : (err as Error).message;
    console.error(`hat-login: cannot start: ${reason}`);
    process.exit(1);
  }
  const { log } = running.services;
  log.info(
    { store: running.services.storeKind, listen: `${config.host}:${running.port}` },
    `HAT cluster ready at ${baseUrl(running.config, clusterAddress(running.config))}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    // A second signal means "now": cut what still runs.
    if (stopping) {
      log.warn({ signal }, 'stopping at once');
      log.flush();
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'shutting down: finishing requests in flight');
    try {
      await running.shutdown(config.shutdownTimeoutMs);
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      log.flush();
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
