import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AttemptCounter } from './ports.js';

type Limiter = Parameters<typeof attemptCounter>[0];

/**
 * The `attempts` operation of a store: one counter per (name, window, limit), made on first use
 * by `makeLimiter` and kept, since a limiter is a small object with a table behind it.
 */
export function attemptCounters(
  makeLimiter: (name: string, windowSeconds: number, limit: number) => Limiter,
): (name: string, windowSeconds: number, limit: number) => AttemptCounter {
  const counters = new Map<string, AttemptCounter>();
  return (name, windowSeconds, limit) => {
    const id = `${name}:${windowSeconds}:${limit}`;
    let counter = counters.get(id);
    if (!counter) counters.set(id, (counter = attemptCounter(makeLimiter(name, windowSeconds, limit))));
    return counter;
  };
}

/** Adapts a rate-limiter-flexible limiter, whatever store it counts in, to the AttemptCounter port. */
export function attemptCounter(limiter: {
  get(key: string): Promise<RateLimiterRes | null>;
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  reward(key: string, points?: number): Promise<RateLimiterRes>;
  delete(key: string): Promise<boolean>;
}): AttemptCounter {
  const view = (res: RateLimiterRes) => ({ consumed: res.consumedPoints, msBeforeNext: res.msBeforeNext });
  return {
    async peek(key) {
      const res = await limiter.get(key);
      return res ? view(res) : null;
    },
    async hit(key) {
      try {
        return view(await limiter.consume(key, 1));
      } catch (err) {
        // Over the limit the library rejects with the same result object; the count still rose.
        if (err instanceof RateLimiterRes) return view(err);
        throw err;
      }
    },
    async refund(key) {
      // A window that already ended has nothing to take back (a reward would open a new one below zero).
      if (await limiter.get(key)) await limiter.reward(key, 1);
    },
    async reset(key) {
      await limiter.delete(key);
    },
  };
}
