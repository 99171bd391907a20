import type { Logger } from '../log.js';
import type { HatAdministration } from './hat-admin.js';

const HOUR = 3600 * 1000;

/**
 * KEY_ROTATION_DAYS (off by default): once an hour, and once a minute or so after start-up, every
 * HAT whose signing key is older than that many days gets a new one (with the usual overlap).
 * The first sweep waits a random part of a minute, so processes started together do not sweep
 * together. `stop` is called at shutdown.
 */
export function scheduleKeyRotation(days: number, hats: HatAdministration, log: Logger): { stop(): void } {
  if (days <= 0) return { stop() {} };
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      const rotated = await hats.rotateKeysOlderThan(days);
      if (rotated.length > 0) log.info({ rotated: rotated.length, days }, 'scheduled key rotation');
    } catch (err) {
      log.error({ err }, 'scheduled key rotation failed; it will be tried again in an hour');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void sweep(), 5000 + Math.random() * 55_000);
  const every = setInterval(() => void sweep(), HOUR);
  first.unref();
  every.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
