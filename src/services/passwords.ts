import { availableParallelism } from 'node:os';
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/**
 * Password hashing with scrypt, Node's built-in memory-hard function (no native add-on to build).
 * Hashes run on libuv's thread pool, never on the event loop, and at most `concurrency` at a time,
 * so a burst of logins leaves a core free for token validation.
 *
 * Stored form: `scrypt$<log2N>$<r>$<p>$<salt>$<hash>` (base64url), so the cost can be raised
 * later without breaking existing hashes.
 */
export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private dummy: Promise<string> | undefined;

  constructor(
    private readonly cost: ScryptCost,
    private readonly concurrency = Math.max(1, availableParallelism() - 1),
  ) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const key = await this.derive(password, salt, this.cost);
    const { log2N, r, p } = this.cost;
    return ['scrypt', log2N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [, log2N, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    const expected = Buffer.from(hash, 'base64url');
    const key = await this.derive(password, Buffer.from(salt, 'base64url'), {
      log2N: Number(log2N),
      r: Number(r),
      p: Number(p),
    });
    return key.length === expected.length && timingSafeEqual(key, expected);
  }

  /** Spends the same time as a real check, for unknown users: the answer must not tell them apart. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('hex'));
    await this.verify(password, await this.dummy);
    return false;
  }

  private async derive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
    const N = 2 ** cost.log2N;
    await this.acquire();
    try {
      return await scryptAsync(password.normalize('NFC'), salt, 32, {
        N,
        r: cost.r,
        p: cost.p,
        maxmem: 256 * N * cost.r + 1024 * 1024,
      });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
