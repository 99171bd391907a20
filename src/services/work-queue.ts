import { TooManyAttempts } from '../errors.js';

/** Who a piece of expensive work is for. */
export type Lane = 'owner' | 'signup';

export interface WorkQueueOptions {
  /** Hashes at a time for owners (logins, password changes): never shared with sign-ups. */
  ownerSlots: number;
  /** Hashes and key generations at a time for sign-ups. */
  signupSlots: number;
  /** Sign-up work that may wait for a slot; more is refused at once (429). */
  signupWaiting: number;
}

class Lanes {
  running = 0;
  readonly waiting: Array<() => void> = [];
  constructor(
    readonly slots: number,
    readonly maxWaiting: number,
  ) {}
}

/**
 * The one queue for the server's expensive work: password hashes and RSA key generation, which
 * run on libuv's thread pool. Owners and sign-ups have separate slots, so 30 sign-ups at once
 * (each a key pair and a hash) wait among themselves while an owner's login goes straight to its
 * own slot; sign-up work past a bounded backlog is refused rather than queued without end.
 */
export class WorkQueue {
  private readonly lanes: Record<Lane, Lanes>;

  constructor(options: WorkQueueOptions) {
    this.lanes = {
      owner: new Lanes(Math.max(1, options.ownerSlots), Number.POSITIVE_INFINITY),
      signup: new Lanes(Math.max(1, options.signupSlots), Math.max(0, options.signupWaiting)),
    };
  }

  async run<T>(lane: Lane, work: () => Promise<T>): Promise<T> {
    const l = this.lanes[lane];
    await this.acquire(l);
    try {
      return await work();
    } finally {
      const next = l.waiting.shift();
      if (next) next();
      else l.running--;
    }
  }

  /** How many are running and waiting in a lane (for tests and the benchmark). */
  load(lane: Lane): { running: number; waiting: number } {
    const l = this.lanes[lane];
    return { running: l.running, waiting: l.waiting.length };
  }

  private acquire(l: Lanes): Promise<void> {
    if (l.running < l.slots) {
      l.running++;
      return Promise.resolve();
    }
    if (l.waiting.length >= l.maxWaiting) {
      return Promise.reject(new TooManyAttempts(5, { detail: 'The server is creating many HATs right now; please try again in a few seconds' }));
    }
    return new Promise((resolve) => l.waiting.push(resolve));
  }
}
