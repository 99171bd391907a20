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
  const running = await startServer(config);
  const { log } = running.services;
  log.info(
    { store: running.services.storeKind, listen: `${config.host}:${running.port}` },
    `HAT cluster ready at ${baseUrl(running.config, clusterAddress(running.config))}`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

void main();
