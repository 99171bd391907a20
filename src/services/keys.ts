import { createCipheriv, createDecipheriv, generateKeyPair, hkdfSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, type JWK } from 'jose';
import type { KeyRecord, Store } from '../store/ports.js';
import type { HatDirectory } from './hats.js';
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

export interface LoadedKey {
  kid: string;
  publicPem: string;
  jwk: JWK;
  publicKey: CryptoKey;
  /** Imported on first signature only: most processes mostly verify. */
  privateKey(): Promise<CryptoKey>;
}

interface CacheEntry {
  keys: Promise<LoadedKey[]>;
  revision: number;
}

/**
 * A HAT's keys, loaded and imported once and then kept in memory (bounded, least recently used
 * first out), never per request. An entry is dropped when the HAT's revision changes (rotation).
 */
export class KeyRing {
  private readonly cache: Lru<string, CacheEntry>;

  constructor(
    private readonly store: Store,
    private readonly vault: KeyVault,
    maxHats = 10_000,
  ) {
    this.cache = new Lru(maxHats);
  }

  /** Newest first; the first one signs. */
  async keys(hat: string, revision: number): Promise<LoadedKey[]> {
    let entry = this.cache.get(hat);
    if (entry && entry.revision !== revision) entry = undefined;
    if (entry) return entry.keys;
    const keys = this.load(hat);
    this.cache.set(hat, { keys, revision });
    keys.catch(() => this.cache.delete(hat));
    return keys;
  }

  async signingKey(hat: string, revision: number): Promise<{ kid: string; key: CryptoKey }> {
    const [current] = await this.keys(hat, revision);
    if (!current) throw new Error(`HAT ${hat} has no key`);
    return { kid: current.kid, key: await current.privateKey() };
  }

  forget(hat: string): void {
    this.cache.delete(hat);
  }

  /**
   * Gives the HAT a new key pair and retires the previous one at once: tokens it signed are
   * refused from now on (a key is rotated because it may be known to someone else), and it
   * leaves /publickey and the JWKS. Returns the new kid. The HAT's revision is bumped by the
   * store, so other processes drop their copy within REVISION_CHECK_MS.
   */
  async rotate(hat: string, directory: HatDirectory): Promise<string> {
    const record = await newKeyRecord(hat, this.vault);
    await this.store.keys.add(record);
    this.forget(hat);
    directory.forget(hat);
    return record.kid;
  }

  /** Only the newest key counts: the store keeps retired keys, which neither sign nor verify. */
  private async load(hat: string): Promise<LoadedKey[]> {
    const records = (await this.store.keys.list(hat)).slice(0, 1);
    return Promise.all(
      records.map(async (record) => {
        const publicKey = await importSPKI(record.publicPem, 'RS256', { extractable: true });
        const jwk = { ...(await exportJWK(publicKey)), kid: record.kid, alg: 'RS256', use: 'sig' };
        let privateKey: Promise<CryptoKey> | undefined;
        return {
          kid: record.kid,
          publicPem: record.publicPem,
          jwk,
          publicKey,
          privateKey: () => (privateKey ??= importPKCS8(this.vault.open(record.privateKeyEnc, record.kid), 'RS256')),
        };
      }),
    );
  }
}
