import type { Store } from './ports.js';

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * The store with every failed operation reported to `report` before it is thrown on, unchanged
 * (the metrics count them). Knows nothing of what the errors mean: the caller decides.
 */
export function reportingFailures(store: Store, report: (err: unknown) => void): Store {
  const fail = (err: unknown): never => {
    report(err);
    throw err;
  };
  const wrap = <T extends object>(group: T): T => {
    const wrapped: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(group)) {
      wrapped[name] =
        typeof value === 'function'
          ? (...args: unknown[]) => {
              try {
                const result = (value as AnyFunction).apply(group, args);
                return result instanceof Promise ? result.catch(fail) : result;
              } catch (err) {
                return fail(err);
              }
            }
          : value;
    }
    return wrapped as T;
  };
  const groups: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(store)) {
    groups[name] = value !== null && typeof value === 'object' ? wrap(value as object) : value;
  }
  return {
    ...(groups as unknown as Store),
    attempts: (name, windowSeconds, limit) => wrap(store.attempts(name, windowSeconds, limit)),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
