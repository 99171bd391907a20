import { TooManyAttempts } from '../errors.js';
import type { AttemptCounter, Store } from '../store/ports.js';
import { clientKey as addressKey } from './client-address.js';

/** SPEC 6.3: at most 10 failures from one client on one HAT in 15 minutes, 100 on one HAT in an hour. */
export const PER_CLIENT = { limit: 10, windowSeconds: 15 * 60 };
export const PER_HAT = { limit: 100, windowSeconds: 60 * 60 };

type Count = { consumed: number; msBeforeNext: number } | null;

/**
 * Counts password attempts in the store, so that every process sharing it shares the count.
 * Past a limit, attempts are refused until its window ends (429 with Retry-After): the owner is
 * slowed down, never locked out for good.
 *
 * An attempt is counted *before* its password is checked and taken back when it succeeds.
 * Counting only after the check would let concurrent attempts all pass the limit while their
 * (deliberately slow) hashes are computed: forty at once would all be tried.
 */
export class LoginThrottle {
  private readonly perClient: AttemptCounter;
  private readonly perDevice: AttemptCounter;
  private readonly perHat: AttemptCounter;
  private readonly refusals: AttemptCounter;

  constructor(store: Store) {
    this.perClient = store.attempts('fail-client', PER_CLIENT.windowSeconds, PER_CLIENT.limit);
    this.perDevice = store.attempts('fail-device', PER_CLIENT.windowSeconds, PER_CLIENT.limit);
    this.perHat = store.attempts('fail-hat', PER_HAT.windowSeconds, PER_HAT.limit);
    this.refusals = store.attempts('refused-client', PER_CLIENT.windowSeconds, 1);
  }

  /**
   * Whether this refusal is the client's first on this HAT in the window: the activity log
   * records that one, so a client hammering a throttled HAT cannot grow the log without end.
   */
  async firstRefusal(hat: string, who: Requester): Promise<boolean> {
    return (await this.refusals.hit(own(hat, who).key)).consumed === 1;
  }

  /** Throws TooManyAttempts when a limit that applies to `who` has been reached; counts nothing. */
  async check(hat: string, who: Requester): Promise<void> {
    const mine = own(hat, who);
    const [client, all] = await Promise.all([this.counter(mine).peek(mine.key), mine.device ? null : this.perHat.peek(hat)]);
    const wait = Math.max(waitPast(client, PER_CLIENT.limit), waitPast(all, PER_HAT.limit));
    if (wait > 0) throw new TooManyAttempts(Math.ceil(wait / 1000));
  }

  /**
   * Counts one attempt as failed until `succeeded` says otherwise; throws TooManyAttempts (and
   * counts nothing) when a limit has been reached, also by attempts running at the same time.
   *
   * A browser with this HAT's device cookie (SPEC 6.3: it logged in here before) is counted by
   * its own limit only: the HAT-wide limit, which strangers' failures fill, never refuses it,
   * and its failures do not count towards it either.
   */
  async begin(hat: string, who: Requester): Promise<void> {
    // The cheap look first: a throttled client must not run the HAT-wide count up.
    await this.check(hat, who);
    const mine = own(hat, who);
    const counter = this.counter(mine);
    const [client, all] = await Promise.all([counter.hit(mine.key), mine.device ? null : this.perHat.hit(hat)]);
    const wait = Math.max(waitPast(client, PER_CLIENT.limit + 1), waitPast(all, PER_HAT.limit + 1));
    if (wait > 0) {
      await Promise.all([counter.refund(mine.key), mine.device ? null : this.perHat.refund(hat)]);
      throw new TooManyAttempts(Math.ceil(wait / 1000));
    }
  }

  /** The attempt begun was right: it does not count, and it forgives this client's failures. */
  async succeeded(hat: string, who: Requester): Promise<void> {
    const mine = own(hat, who);
    await Promise.all([this.counter(mine).reset(mine.key), mine.device ? null : this.perHat.refund(hat)]);
  }

  private counter(mine: { device: boolean }): AttemptCounter {
    return mine.device ? this.perDevice : this.perClient;
  }
}

/** Who is trying: the client address, and the device id of a valid device cookie for this HAT. */
export interface Requester {
  clientIp: string;
  device?: string | undefined;
}

/** The key of `who`'s own count on `hat`: its device when it has one, else its address (IPv6 per /64). */
function own(hat: string, who: Requester): { key: string; device: boolean } {
  return who.device ? { key: `${hat}|device:${who.device}`, device: true } : { key: `${hat}|${addressKey(who.clientIp)}`, device: false };
}

/** How long until `count` falls below `limit` again; 0 when it is below already. */
function waitPast(count: Count, limit: number): number {
  return count && count.consumed >= limit && count.msBeforeNext > 0 ? count.msBeforeNext : 0;
}
