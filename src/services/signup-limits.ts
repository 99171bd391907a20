import { TooManyAttempts } from '../errors.js';
import type { AttemptCounter, Store } from '../store/ports.js';
import { clientKey } from './client-address.js';

/**
 * SPEC 9's sign-up limits: per client an hour (default 5) and on the whole cluster a minute
 * (default 60), counted in the store so that every process sharing it shares the count. Each
 * sign-up that gets past the free checks counts, whatever its outcome: it is the attempt that
 * costs a strength estimate, and a success costs a key pair and a password hash as well.
 */
export class SignupLimits {
  private readonly perClient: AttemptCounter;
  private readonly cluster: AttemptCounter;

  constructor(
    store: Store,
    private readonly limits: { perClientHour: number; perMinute: number },
  ) {
    this.perClient = store.attempts('signup-client', 3600, limits.perClientHour);
    this.cluster = store.attempts('signup-cluster', 60, limits.perMinute);
  }

  /** Counts one sign-up of `clientIp`; TooManyAttempts (429, Retry-After) past either limit. */
  async begin(clientIp: string): Promise<void> {
    const key = clientKey(clientIp);
    const client = await this.perClient.peek(key);
    if (client && client.consumed >= this.limits.perClientHour) throw refusal(client.msBeforeNext, 'from this address');
    const [mine, all] = await Promise.all([this.perClient.hit(key), this.cluster.hit('all')]);
    if (mine.consumed > this.limits.perClientHour) {
      await this.cluster.refund('all');
      throw refusal(mine.msBeforeNext, 'from this address');
    }
    if (all.consumed > this.limits.perMinute) {
      await this.perClient.refund(key);
      throw refusal(all.msBeforeNext, 'on this server');
    }
  }
}

function refusal(ms: number, where: string): TooManyAttempts {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  return new TooManyAttempts(seconds, { detail: `Too many new HATs ${where}; please try again in ${seconds} seconds` });
}
