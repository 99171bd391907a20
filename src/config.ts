import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { privateDir } from './private-files.js';

/** Everything the server reads from its environment (SPEC section 11), parsed once at start-up. */
export interface Config {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  readonly hatDomain: string;
  readonly publicPort: number;
  readonly publicScheme: 'http' | 'https';
  readonly dataDir: string;
  readonly mongodbUri: string | undefined;
  readonly sessionSecret: string;
  readonly keyEncryptionSecret: string;
  readonly adminToken: string;
  readonly trustProxy: boolean;
  readonly allowQueryCredentials: boolean;
  readonly logLevel: string;
  /** Token lifetimes in seconds (SPEC 4). */
  readonly tokenTtl: { readonly owner: number; readonly application: number; readonly validate: number };
  /** Browser session idle lifetime in milliseconds. */
  readonly sessionTtlMs: number;
  /** How long another process's changes may stay unseen (multi-process MongoDB set-ups). */
  readonly revisionCheckMs: number;
  /** Where mail goes (SPEC 13): an SMTP URL, or undefined to write it to DATA_DIR/outbox/. */
  readonly smtpUrl: string | undefined;
  /** The From of every mail. */
  readonly mailFrom: string;
  /** How long a SIGTERM waits for requests in flight before cutting them. */
  readonly shutdownTimeoutMs: number;
  /** SPEC 9: sign-ups per client an hour, and on the whole cluster a minute. */
  readonly signupLimits: { readonly perClientHour: number; readonly perMinute: number };
  /** SPEC 7: a browser session ends this long after its login, however active (SESSION_MAX_AGE_DAYS). */
  readonly sessionMaxAgeMs: number;
  /** The password-strength estimate's time budget; running out counts as too weak. */
  readonly passwordCheckTimeoutMs: number;
  /** Serve /metrics and count (METRICS=false turns both off). */
  readonly metrics: boolean;
  /** Rotate every HAT's signing key once it is this many days old; 0: never by schedule (SPEC 4). */
  readonly keyRotationDays: number;
  /** How many HATs' OAuth providers stay in memory (SPEC 12). */
  readonly oidcProviderCache: number;
  /** The longest a Client ID Metadata Document is reused, whatever its Cache-Control says (SPEC 12). */
  readonly cimdCacheMaxSeconds: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const SECRET_NAMES = ['SESSION_SECRET', 'KEY_ENCRYPTION_SECRET', 'ADMIN_TOKEN'] as const;
type SecretName = (typeof SECRET_NAMES)[number];

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Plain decimal digits only: Number() would take " " as 0 and "0x50" as 80.
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range}, got "${raw}"`);
  }
  return value;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/**
 * In development the secrets are generated on first start and kept in DATA_DIR/secrets.json,
 * so restarts keep sessions and keys readable. In production they must come from the
 * environment: a generated secret would silently differ between processes.
 */
function resolveSecrets(env: NodeJS.ProcessEnv, production: boolean, dataDir: string): Record<SecretName, string> {
  const fromEnv = Object.fromEntries(SECRET_NAMES.filter((n) => env[n]).map((n) => [n, env[n] as string]));
  if (production) {
    const missing = SECRET_NAMES.filter((n) => !env[n]);
    if (missing.length > 0) {
      throw new ConfigError(`NODE_ENV=production needs ${missing.join(', ')} in the environment; refusing to start`);
    }
    return fromEnv as Record<SecretName, string>;
  }
  const file = path.join(dataDir, 'secrets.json');
  let kept: Partial<Record<SecretName, string>> = {};
  if (existsSync(file)) {
    // Never replace an unreadable file: new secrets would lock every HAT's keys away for good.
    try {
      kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<SecretName, string>>;
    } catch (err) {
      throw new ConfigError(`${file} could not be read as JSON (${(err as Error).message}); fix or remove it`);
    }
    if (!kept || typeof kept !== 'object') throw new ConfigError(`${file} must hold a JSON object; fix or remove it`);
  }
  let changed = false;
  for (const name of SECRET_NAMES) {
    if (!kept[name]) {
      kept[name] = randomBytes(32).toString('base64url');
      changed = true;
    }
  }
  if (changed) {
    privateDir(dataDir);
    writeFileSync(file, JSON.stringify(kept, null, 2), { mode: 0o600 });
  }
  return { ...(kept as Record<SecretName, string>), ...fromEnv };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = int(env, 'PORT', 3000, 0, 65535);
  const hatDomain = (env.HAT_DOMAIN || 'hat.localhost').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(hatDomain)) {
    throw new ConfigError(`HAT_DOMAIN must be a domain name, got "${hatDomain}"`);
  }
  const scheme = env.PUBLIC_SCHEME || (hatDomain === 'localhost' || hatDomain.endsWith('.localhost') ? 'http' : 'https');
  if (scheme !== 'http' && scheme !== 'https') throw new ConfigError(`PUBLIC_SCHEME must be http or https, got "${scheme}"`);
  const dataDir = path.resolve(env.DATA_DIR || './data');
  return {
    production,
    port,
    host: env.HOST || '127.0.0.1',
    hatDomain,
    publicPort: int(env, 'PUBLIC_PORT', port, 0, 65535),
    publicScheme: scheme,
    dataDir,
    mongodbUri: env.MONGODB_URI || undefined,
    ...secretsConfig(resolveSecrets(env, production, dataDir)),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    allowQueryCredentials: bool(env, 'ALLOW_QUERY_CREDENTIALS', true),
    logLevel: logLevel(env),
    tokenTtl: {
      owner: int(env, 'OWNER_TOKEN_TTL', 3 * 24 * 3600, 1),
      application: int(env, 'APPLICATION_TOKEN_TTL', 3 * 24 * 3600, 1),
      validate: int(env, 'VALIDATE_TOKEN_TTL', 3600, 1),
    },
    sessionTtlMs: int(env, 'SESSION_TTL_SECONDS', 12 * 3600, 60) * 1000,
    revisionCheckMs: int(env, 'REVISION_CHECK_MS', 1000, 0),
    ...mailConfig(env, hatDomain),
    signupLimits: { perClientHour: int(env, 'SIGNUP_PER_CLIENT_HOUR', 5, 1), perMinute: int(env, 'SIGNUP_PER_MINUTE', 60, 1) },
    sessionMaxAgeMs: int(env, 'SESSION_MAX_AGE_DAYS', 30, 1, 3650) * 24 * 3600 * 1000,
    passwordCheckTimeoutMs: int(env, 'PASSWORD_CHECK_TIMEOUT_MS', 2000, 50, 60_000),
    keyRotationDays: int(env, 'KEY_ROTATION_DAYS', 0, 0, 36500),
    metrics: bool(env, 'METRICS', true),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0),
    oidcProviderCache: int(env, 'OIDC_PROVIDER_CACHE', 1000, 1),
    cimdCacheMaxSeconds: int(env, 'OIDC_CIMD_CACHE_MAX_SECONDS', 3600, 0, 86_400),
  };
}

function logLevel(env: NodeJS.ProcessEnv): string {
  const level = (env.LOG_LEVEL || 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level)) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return level;
}

function mailConfig(env: NodeJS.ProcessEnv, hatDomain: string) {
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) throw new ConfigError('SMTP_URL must be an smtp:// or smtps:// URL');
  return { smtpUrl, mailFrom: env.MAIL_FROM || `HAT Login <no-reply@${hatDomain}>` };
}

function secretsConfig(s: Record<SecretName, string>) {
  return { sessionSecret: s.SESSION_SECRET, keyEncryptionSecret: s.KEY_ENCRYPTION_SECRET, adminToken: s.ADMIN_TOKEN };
}

/** `alice.hat.localhost:3000`: the HAT's address, which is also the `iss` of its tokens. */
export function hatAddress(config: Config, name: string): string {
  return withPort(config, `${name}.${config.hatDomain}`);
}

export function clusterAddress(config: Config): string {
  return withPort(config, config.hatDomain);
}

export function baseUrl(config: Config, address: string): string {
  return `${config.publicScheme}://${address}`;
}

function withPort(config: Config, host: string): string {
  const defaultPort = config.publicScheme === 'https' ? 443 : 80;
  return config.publicPort === defaultPort || config.publicPort === 0 ? host : `${host}:${config.publicPort}`;
}
