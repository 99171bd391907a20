import { createCipheriv, createDecipheriv, generateKeyPair, hkdfSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, type JWK } from 'jose';
import { NotFound } from '../errors.js';
import type { KeyRecord, KeyRetirement, Store } from '../store/ports.js';
import { Lru } from '../lru.js';

const generateKeyPairAsync = promisify(generateKeyPair);
const RSA_BITS = 2048;

/**
 * Private keys are encrypted at rest with AES-256-GCM under a key derived from
 * KEY_ENCRYPTION_SECRET; the kid is bound in as associated data so that a ciphertext cannot be
 * moved to another key's record.
 */
export class KeyVault {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'hat-login', 'private-key-encryption', 32));
  }

  seal(plaintext: string, kid: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(kid));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  open(sealed: string, kid: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || !body) throw new Error(`key ${kid}: unknown encryption format`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(kid));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** A fresh RSA key pair for a HAT, its private half sealed; the kid is the JWK thumbprint. */
export async function newKeyRecord(hat: string, vault: KeyVault, now = new Date()): Promise<KeyRecord> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const kid = await calculateJwkThumbprint(await exportJWK(await importSPKI(publicKey, 'RS256', { extractable: true })));
  return { kid, hat, publicPem: publicKey, privateKeyEnc: vault.seal(privateKey, kid), createdAt: now };
}

/** A public key that verifies a HAT's tokens now: the current one, or an earlier one still overlapping. */
export interface PublishedKey {
  kid: string;
  publicPem: string;
  /** The public JWK with `kid`, `alg: RS256`, `use: sig`: what the JWKS shows. */
  jwk: JWK;
  publicKey: CryptoKey;
  /** When it leaves the JWKS and stops verifying; null for the current key. */
  retireAt: Date | null;
}

interface LoadedKey extends PublishedKey {
  /** Imported on first use only: most processes mostly verify. */
  privateKey(): Promise<CryptoKey>;
}

interface CacheEntry {
  keys: Promise<LoadedKey[]>;
  revision: number;
}

export interface KeyRingOptions {
  /**
   * How long an earlier key keeps verifying after a rotation: at least the longest lifetime of
   * any token signed with it (whoever signs with the ring must say so here).
   */
  retireAfterSeconds: number;
  /** HATs whose keys are kept in memory (least recently used first out). */
  maxHats?: number;
}

/**
 * A HAT's keys (SPEC 4): the current key, which signs, and the earlier keys that still verify the
 * tokens they signed until those can all have expired. Loaded and imported once, then kept in
 * memory, never per request; an entry is dropped when the HAT's revision changes (every rotation
 * bumps it), so another process sharing the store sees a rotation within REVISION_CHECK_MS.
 *
 * The public API, for everything that signs or publishes a HAT's keys (the tokens, /publickey,
 * the JWKS, the OAuth/OIDC provider):
 * - `signingKey(hat, revision)`: the key that signs now;
 * - `publishedKeys(hat, revision)`: the keys that verify now, current first (= the JWKS);
 * - `jwks(hat, revision)`: those as a JWKS document;
 * - `privateJwks(hat, revision)`: the same keys with their private halves, current first, for a
 *   library that signs by itself (oidc-provider's `jwks`); `keySetId` names that set, so that a
 *   cached provider can tell when to rebuild;
 * - `rotate(hat, { revoke })`.
 */
export class KeyRing {
  private readonly cache: Lru<string, CacheEntry>;

  constructor(
    private readonly store: Store,
    private readonly vault: KeyVault,
    private readonly options: KeyRingOptions,
  ) {
    this.cache = new Lru(options.maxHats ?? 10_000);
  }

  /** The keys that verify the HAT's tokens now, the current (signing) key first. */
  async publishedKeys(hat: string, revision: number): Promise<PublishedKey[]> {
    const keys = await this.loaded(hat, revision);
    // Every HAT is created with a key: none means it was deleted while this request ran.
    if (keys.length === 0) throw noSuchHat(hat);
    return stillVerifying(keys);
  }

  /** The key that signs new tokens. */
  async signingKey(hat: string, revision: number): Promise<{ kid: string; key: CryptoKey }> {
    const [current] = await this.loaded(hat, revision);
    if (!current) throw noSuchHat(hat);
    return { kid: current.kid, key: await current.privateKey() };
  }

  /** The published keys as a JWKS document (`/.well-known/jwks.json`). */
  async jwks(hat: string, revision: number): Promise<{ keys: JWK[] }> {
    return { keys: (await this.publishedKeys(hat, revision)).map((k) => k.jwk) };
  }

  /** The published keys with their private halves, the signing key first. Never to be shown. */
  async privateJwks(hat: string, revision: number): Promise<{ keys: JWK[] }> {
    const keys = stillVerifying(await this.loaded(hat, revision));
    return {
      keys: await Promise.all(keys.map(async (k) => ({ ...(await exportJWK(await k.privateKey())), kid: k.kid, alg: 'RS256', use: 'sig' }))),
    };
  }

  /** Names the set of published keys: it changes on a rotation and when an earlier key retires. */
  async keySetId(hat: string, revision: number): Promise<string> {
    return (await this.publishedKeys(hat, revision)).map((k) => k.kid).join('.');
  }

  /**
   * Gives the HAT a new signing key at once. Earlier keys keep verifying for the longest token
   * lifetime (`retireAfterSeconds`) and stay in the JWKS meanwhile; with `revoke` (the key may be
   * known to someone else) they stop at once and leave it. The store bumps the HAT's revision in
   * the same write. Null when there is no such HAT.
   */
  async rotate(hat: string, { revoke = false }: { revoke?: boolean } = {}): Promise<{ kid: string; previous: string | null } | null> {
    const [previous] = await this.store.keys.list(hat);
    const record = await newKeyRecord(hat, this.vault);
    const retireAt = new Date(revoke ? Date.now() : Date.now() + this.options.retireAfterSeconds * 1000);
    const rotated = await this.store.keyRotation.rotate(record, { retireAt, revoke });
    return rotated ? { kid: record.kid, previous: previous?.kid ?? null } : null;
  }

  /** HATs whose keys are held in memory (for the metrics). */
  get cached(): number {
    return this.cache.size;
  }

  /** This process changed the HAT's keys (or deleted it): read them again at next use. */
  forget(hat: string): void {
    this.cache.delete(hat);
  }

  private async loaded(hat: string, revision: number): Promise<LoadedKey[]> {
    let entry = this.cache.get(hat);
    if (entry && entry.revision !== revision) entry = undefined;
    if (entry) return entry.keys;
    const keys = this.load(hat);
    this.cache.set(hat, { keys, revision });
    keys.catch(() => this.cache.delete(hat));
    return keys;
  }

  /**
   * The newest key signs. An earlier key verifies only with a retirement that has not come: a key
   * with none was replaced before rotations overlapped, when replacing a key retired it at once.
   */
  private async load(hat: string): Promise<LoadedKey[]> {
    const [records, retirements] = await Promise.all([this.store.keys.list(hat), this.store.keyRotation.retirements(hat)]);
    const retired = new Map<string, KeyRetirement>(retirements.map((r) => [r.kid, r]));
    const now = Date.now();
    const wanted = records.filter((record, i) => {
      if (i === 0) return true;
      const r = retired.get(record.kid);
      return r !== undefined && !r.revoked && r.retireAt.getTime() > now;
    });
    return Promise.all(
      wanted.map(async (record, i) => {
        const publicKey = await importSPKI(record.publicPem, 'RS256', { extractable: true });
        const jwk = { ...(await exportJWK(publicKey)), kid: record.kid, alg: 'RS256', use: 'sig' };
        let privateKey: Promise<CryptoKey> | undefined;
        return {
          kid: record.kid,
          publicPem: record.publicPem,
          jwk,
          publicKey,
          retireAt: i === 0 ? null : (retired.get(record.kid)?.retireAt ?? null),
          privateKey: () =>
            (privateKey ??= importPKCS8(this.vault.open(record.privateKeyEnc, record.kid), 'RS256', { extractable: true })),
        };
      }),
    );
  }
}

function noSuchHat(hat: string): NotFound {
  return new NotFound(`There is no HAT named ${JSON.stringify(hat)}; it was deleted`);
}

/** Earlier keys retire by the clock, with no revision bump: filtered at every read. */
function stillVerifying<K extends PublishedKey>(keys: K[]): K[] {
  const now = Date.now();
  return keys.filter((k) => k.retireAt === null || k.retireAt.getTime() > now);
}
