import { TooManyAttempts } from '../errors.js';
import type { AttemptCounter, Store } from '../store/ports.js';

/** SPEC 6.3: at most 10 failures from one client on one HAT in 15 minutes, 100 on one HAT in an hour. */
export const PER_CLIENT = { limit: 10, windowSeconds: 15 * 60 };
export const PER_HAT = { limit: 100, windowSeconds: 60 * 60 };

/**
 * Counts failed password attempts in the store, so that every process sharing it shares the
 * count. Past a limit, attempts are refused until its window ends (429 with Retry-After): the
 * owner is slowed down, never locked out for good.
 */
export class LoginThrottle {
  private readonly perClient: AttemptCounter;
  private readonly perHat: AttemptCounter;

  constructor(store: Store) {
    this.perClient = store.attempts('fail-client', PER_CLIENT.windowSeconds, PER_CLIENT.limit);
    this.perHat = store.attempts('fail-hat', PER_HAT.windowSeconds, PER_HAT.limit);
  }

  /** Throws TooManyAttempts when either limit has been reached. */
  async check(hat: string, clientIp: string): Promise<void> {
    const [client, all] = await Promise.all([this.perClient.peek(clientKey(hat, clientIp)), this.perHat.peek(hat)]);
    const waits = [
      client && client.consumed >= PER_CLIENT.limit ? client.msBeforeNext : 0,
      all && all.consumed >= PER_HAT.limit ? all.msBeforeNext : 0,
    ];
    const wait = Math.max(...waits);
    if (wait > 0) throw new TooManyAttempts(Math.ceil(wait / 1000));
  }

  async failed(hat: string, clientIp: string): Promise<void> {
    await Promise.all([this.perClient.hit(clientKey(hat, clientIp)), this.perHat.hit(hat)]);
  }

  /** A success forgives this client's failures; the HAT-wide count stays. */
  async succeeded(hat: string, clientIp: string): Promise<void> {
    await this.perClient.reset(clientKey(hat, clientIp));
  }
}

function clientKey(hat: string, clientIp: string): string {
  return `${hat}|${clientIp}`;
}
