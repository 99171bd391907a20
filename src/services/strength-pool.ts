import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** zxcvbn's verdict, or why there is none: it ran out of time, or too many were waiting. */
export type Estimate =
  | { kind: 'scored'; score: number; warning: string; suggestions: string[] }
  | { kind: 'timeout' }
  | { kind: 'busy' };

export interface StrengthPoolOptions {
  /** Worker threads; each runs one estimate at a time. */
  workers: number;
  /** Budget of one estimate once a worker has it; past it the worker is ended and replaced. */
  timeoutMs: number;
  /** Estimates that may wait for a worker; more are answered `busy` at once. */
  maxWaiting: number;
}

/** Only the first characters are estimated: zxcvbn's work grows much faster than the length. */
export const ESTIMATED_LENGTH = 100;

const require = createRequire(import.meta.url);

/**
 * The worker's source. It is plain CommonJS given as text (`eval`), with the packages' resolved
 * paths inlined, so the same code runs under tsx and from the compiled `dist/` alike.
 */
function workerSource(): string {
  const paths = JSON.stringify({
    core: require.resolve('@zxcvbn-ts/core'),
    common: require.resolve('@zxcvbn-ts/language-common'),
    english: require.resolve('@zxcvbn-ts/language-en'),
  });
  return `
const { parentPort } = require('node:worker_threads');
const paths = ${paths};
const { ZxcvbnFactory } = require(paths.core);
const common = require(paths.common);
const english = require(paths.english);
const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
  maxLength: ${ESTIMATED_LENGTH},
});
zxcvbn.check('warm up the dictionaries');
parentPort.postMessage({ ready: true });
parentPort.on('message', ({ id, password, related }) => {
  const r = zxcvbn.check(password, related);
  parentPort.postMessage({ id, score: r.score, warning: r.feedback.warning || '', suggestions: r.feedback.suggestions || [] });
});`;
}

interface Job {
  id: number;
  password: string;
  related: string[];
  resolve: (e: Estimate) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Job | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Runs zxcvbn off the event loop (SPEC 9): a ~1 KB password can keep the estimator busy for
 * seconds, and on the event loop that froze every HAT of the cluster. Each estimate gets a time
 * budget; a worker that overruns it is terminated (the only way to stop a busy thread) and a
 * fresh one takes its place. Callers treat `timeout` and `busy` as "too weak".
 */
export class StrengthPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: StrengthPoolOptions) {}

  estimate(password: string, related: string[]): Promise<Estimate> {
    if (this.closed) return Promise.resolve({ kind: 'busy' });
    if (this.waiting.length >= this.options.maxWaiting) return Promise.resolve({ kind: 'busy' });
    return new Promise((resolve) => {
      this.waiting.push({ id: this.nextId++, password, related, resolve });
      this.ensureWorkers();
      this.dispatch();
    });
  }

  /** Ends every worker; waiting estimates answer `busy`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.resolve({ kind: 'busy' });
    await Promise.all(this.slots.splice(0).map((slot) => this.retire(slot, { kind: 'busy' })));
  }

  private ensureWorkers(): void {
    while (this.slots.length < this.options.workers) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(workerSource(), { eval: true });
    // An idle pool must never keep the process alive.
    worker.unref();
    const slot: Slot = { worker, ready: false, job: null, timer: null };
    worker.on('message', (m: { ready?: boolean; id?: number; score?: number; warning?: string; suggestions?: string[] }) => {
      if (m.ready) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      this.finish(slot, { kind: 'scored', score: m.score ?? 0, warning: m.warning ?? '', suggestions: m.suggestions ?? [] });
      this.dispatch();
    });
    worker.on('error', () => this.replace(slot, { kind: 'busy' }));
    worker.on('exit', () => {
      if (this.slots.includes(slot)) this.replace(slot, { kind: 'busy' });
    });
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.job) continue;
      const job = this.waiting.shift();
      if (!job) return;
      slot.job = job;
      slot.timer = setTimeout(() => this.replace(slot, { kind: 'timeout' }), this.options.timeoutMs);
      slot.worker.postMessage({ id: job.id, password: job.password, related: job.related });
    }
  }

  private finish(slot: Slot, estimate: Estimate): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    const job = slot.job;
    slot.job = null;
    job?.resolve(estimate);
  }

  /** Ends a slot's worker (answering its job with `estimate`) and starts a fresh one. */
  private replace(slot: Slot, estimate: Estimate): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    void this.retire(slot, estimate);
    if (!this.closed && this.waiting.length > 0) this.ensureWorkers();
    this.dispatch();
  }

  private async retire(slot: Slot, estimate: Estimate): Promise<void> {
    this.finish(slot, estimate);
    await slot.worker.terminate().catch(() => undefined);
  }
}
