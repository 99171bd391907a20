import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, parseOptions, verify as argon2Verify } from '@node-rs/argon2';
import type { Lane, WorkQueue } from './work-queue.js';

export interface ScryptCost {
  log2N: number;
  r: number;
  p: number;
}

/**
 * SPEC 10: Argon2id at OWASP's minimum (m = 19 MiB, t = 2, p = 1). Raising any of these later
 * is safe: hashes made with less are replaced at the owner's next login (`needsRehash`).
 */
// `algorithm: 2` is Algorithm.Argon2id (a const enum, which this build cannot import).
export const ARGON2 = { algorithm: 2 as const, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$<log2N>$<r>$<p>$<salt>$<hash>`: how passwords were hashed before Argon2id. */
export async function scryptHash(password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptDerive(password, salt, cost);
  return ['scrypt', cost.log2N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

async function scryptVerify(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, log2N, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const cost = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  if (![cost.log2N, cost.r, cost.p].every((n) => Number.isSafeInteger(n) && n > 0) || cost.log2N > 24) return false;
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptDerive(password, Buffer.from(salt, 'base64url'), cost);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function scryptDerive(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.log2N;
  return scryptAsync(password.normalize('NFC'), salt, 32, { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 1024 * 1024 });
}

/**
 * Password hashing (SPEC 10): Argon2id in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`)
 * through @node-rs/argon2, whose work runs on libuv's thread pool, never on the event loop.
 * Every hash and check goes through the WorkQueue, in the lane of whoever asked: an owner's
 * login never waits behind sign-ups. Hashes of the earlier scheme (scrypt) still verify, and
 * `needsRehash` tells the caller to replace them.
 */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;

  constructor(private readonly queue: WorkQueue) {}

  /** `lane: null` when the caller already holds a slot of the queue (a sign-up's one job). */
  hash(password: string, lane: Lane | null = 'owner'): Promise<string> {
    const work = () => argon2Hash(password.normalize('NFC'), ARGON2);
    return lane === null ? work() : this.queue.run(lane, work);
  }

  async verify(password: string, stored: string): Promise<boolean> {
    return this.queue.run('owner', async () => {
      if (stored.startsWith('scrypt$')) return scryptVerify(password, stored);
      if (!stored.startsWith('$argon2')) return false;
      try {
        return await argon2Verify(stored, password.normalize('NFC'));
      } catch {
        return false; // a malformed stored hash matches nothing
      }
    });
  }

  /** True for a hash of an earlier scheme or of a lower cost than ARGON2: replace it at login. */
  needsRehash(stored: string): boolean {
    if (!stored.startsWith('$argon2id$')) return true;
    try {
      const o = parseOptions(stored);
      return o.memoryCost < ARGON2.memoryCost || o.timeCost < ARGON2.timeCost || o.parallelism < ARGON2.parallelism;
    } catch {
      return true;
    }
  }

  /** Spends the same time as a real check, for unknown users: the answer must not tell them apart. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= argon2Hash(randomBytes(16).toString('hex'), ARGON2);
    await this.verify(password, await this.dummy);
    return false;
  }
}
