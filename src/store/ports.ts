/**
 * The store's ports: the only way services reach persistent state.
 * Two adapters implement them (`sqlite.ts`, the embedded default, and `mongo.ts`), and one
 * contract suite (`test/http/store-contract.ts`) holds both to the same behaviour.
 *
 * Rules every adapter keeps:
 * - uniqueness (HAT names, owner emails, application ids) is enforced by the database's own
 *   unique indexes and reported as `UniqueViolation(field)`, never by a look-up first;
 * - every operation that changes what a token or session may do (password, disabling, grants,
 *   approvals, keys) bumps the HAT's `revision` in the same atomic write, so caches can tell
 *   that they are stale;
 * - record data is opaque JSON text: it is stored and returned byte for byte, never used as a query.
 */

export interface HatRecord {
  /** Lower-case HAT name, the primary key. */
  name: string;
  ownerId: string;
  /** Lower-cased owner email, unique across the cluster. */
  email: string;
  fullName: string;
  passwordHash: string;
  disabled: boolean;
  /** Owner tokens issued (iat, seconds) before this are refused: set by a password change. */
  tokensNotBefore: number;
  /** Bumped by every change that can invalidate a token or a session. */
  revision: number;
  createdAt: Date;
}

export interface KeyRecord {
  kid: string;
  hat: string;
  /** SPKI PEM. */
  publicPem: string;
  /** The PKCS#8 private key, encrypted (see services/keys.ts); opaque to the store. */
  privateKeyEnc: string;
  createdAt: Date;
}

export interface SessionRecord {
  id: string;
  /** The HAT the session belongs to, or '' for the cluster's own pages. */
  hat: string;
  data: Record<string, unknown>;
  expiresAt: Date;
  /**
   * What the owner's list of sessions shows (SPEC 7): written with the session, read back only
   * by `listLoggedIn` (`get` returns the four fields above). The browser's User-Agent ('' when
   * none); when the owner logged in on it (null or absent while nobody is); when this write
   * happened (default: now).
   */
  userAgent?: string;
  loggedInAt?: Date | null;
  lastSeenAt?: Date;
}

/** One logged-in browser session as the owner's list shows it (SPEC 7), without its contents. */
export interface SessionSummary {
  id: string;
  userAgent: string;
  loggedInAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
}

/** Every kind of activity-log entry (a list, so that tests can go through each). */
export const ACTIVITY_TYPES = [
  'login',
  'login_failed',
  'login_throttled',
  'approval',
  'denial',
  'revocation',
  'application_enabled',
  'application_disabled',
  'password_changed',
  'password_reset_requested',
  'password_reset',
  'email_change_requested',
  'email_confirmed',
  'logout',
  'token_refused',
  'owner_disabled',
  'owner_enabled',
  'key_rotated',
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityEntry {
  id: string;
  hat: string;
  at: Date;
  type: ActivityType;
  /** How it happened: `api` (/users/access_token), `hatlogin`, `dashboard`, `operator` (the cluster's). */
  via: string;
  /** The service's name or application id, when there is one. */
  service?: string;
  /** The host the person was (or would have been) sent to. */
  redirectHost?: string;
  clientIp?: string;
  detail?: string;
}

export type Access = 'read' | 'write';

export interface Permission {
  namespace: string;
  access: Access;
}

export type ApplicationKind = 'App' | 'DataPlug' | 'Tool';

export interface Developer {
  name: string;
  /** '' when none. */
  url: string;
}

/**
 * An approved service, registered on the cluster (SPEC 5, 9): one model for both the compact
 * registration and the original HAT's manifest (services/application-model.ts maps them).
 * Adapters keep it as one opaque JSON document, so fields added later need no schema change;
 * records stored before a field existed are brought up to date at start-up by the registry.
 * Text and link fields that are not given are ''.
 */
export interface ApplicationRecord {
  id: string;
  name: string;
  description: string;
  /** The application's web address (the manifest's `kind.url`). */
  homepage: string;
  version: string;
  redirectUris: string[];
  permissions: Permission[];
  kind: ApplicationKind;
  headline: string;
  /** An https URL, shown only as an <img>. */
  logoUrl: string;
  termsUrl: string;
  dataUsePurpose: string;
  supportContact: string;
  developer: Developer | null;
  /** The manifest's `setup.url`: where the application's own set-up starts. */
  setupUrl: string;
  /** The manifest as registered, for its fields the server does not use; null for a compact registration. */
  source: Record<string, unknown> | null;
  createdAt: Date;
}

/** An application's status on one HAT: what the owner consented to. */
export interface GrantRecord {
  hat: string;
  applicationId: string;
  enabled: boolean;
  /** Exactly the permissions the owner consented to (a snapshot, not the live registration). */
  permissions: Permission[];
  /** The application version consented to. */
  version: string;
  /** Tokens issued (iat, seconds) before the latest enabling are refused. */
  tokensNotBefore: number;
  updatedAt: Date;
  lastUsedAt: Date | null;
}

/** A generic service the owner approved: `name` at `origin` may learn that they own the HAT. */
export interface ApprovalRecord {
  id: string;
  hat: string;
  name: string;
  origin: string;
  /** Tokens issued (iat, seconds) before this approval are refused. */
  tokensNotBefore: number;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface DataRecord {
  recordId: string;
  /** `<namespace>/<endpoint>` */
  endpoint: string;
  /** The record's JSON text, exactly as it will be returned. */
  json: string;
  createdAt: Date;
}

export interface ReadOptions {
  /** A dotted field path inside the record data, already checked by the service. */
  orderBy?: string;
  ordering: 'ascending' | 'descending';
  skip: number;
  take: number;
}

/** A counter of attempts shared by every process on the same store (rate-limiter-flexible). */
export interface AttemptCounter {
  /** Remaining budget and when the window ends, without counting anything. */
  peek(key: string): Promise<{ consumed: number; msBeforeNext: number } | null>;
  /** Count one attempt; returns the new total and when the window ends. */
  hit(key: string): Promise<{ consumed: number; msBeforeNext: number }>;
  /** Takes one counted attempt back (it turned out not to count), within the same window. */
  refund(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export interface HatStore {
  /** Creates the HAT with its first key in one atomic write: either both exist or neither. */
  create(hat: HatRecord, key: KeyRecord): Promise<void>;
  find(name: string): Promise<HatRecord | null>;
  findByEmail(email: string): Promise<HatRecord | null>;
  /** Cheap: only the revision, for cache freshness checks. Null when the HAT does not exist. */
  revision(name: string): Promise<number | null>;
  /**
   * Replaces the password hash and raises (never lowers) `tokensNotBefore`. With
   * `endServiceTokens`, the same atomic write raises the stamp of every grant and approval of
   * the HAT to `tokensNotBefore` as well: its application and service tokens end too (SPEC 7).
   */
  setPassword(name: string, passwordHash: string, tokensNotBefore: number, endServiceTokens?: boolean): Promise<void>;
  /**
   * Swaps the hash for an equivalent one (a re-hash at login with a newer scheme) only while
   * the stored hash is still `expected`: a password changed meanwhile is never overwritten.
   * Changes nothing a token depends on, so the revision stays. True when it was swapped.
   */
  replacePasswordHash(name: string, expected: string, passwordHash: string): Promise<boolean>;
  setDisabled(name: string, disabled: boolean): Promise<void>;
  count(): Promise<number>;
}

export interface KeyStore {
  /** Newest first. */
  list(hat: string): Promise<KeyRecord[]>;
  add(key: KeyRecord): Promise<void>;
}

export interface SessionStore {
  get(id: string): Promise<SessionRecord | null>;
  /** Writes the session, making it when there is none of this id. */
  set(session: SessionRecord): Promise<void>;
  /**
   * Writes a session that is still there; false, writing nothing, when there is none (it was
   * ended meanwhile): a request in flight when a session was ended cannot bring it back.
   */
  update(session: SessionRecord): Promise<boolean>;
  destroy(id: string): Promise<void>;
  /** Ends every session of the HAT (password change, "log out everywhere"). */
  destroyForHat(hat: string): Promise<number>;
  /** The HAT's unexpired sessions with a logged-in owner, most recently seen first. */
  listLoggedIn(hat: string): Promise<SessionSummary[]>;
}

export interface ActivityStore {
  append(entry: ActivityEntry): Promise<void>;
  /** Newest first. */
  list(hat: string, options: { skip: number; take: number }): Promise<ActivityEntry[]>;
  count(hat: string): Promise<number>;
}

export interface ApplicationStore {
  create(app: ApplicationRecord): Promise<void>;
  /** Replaces an existing registration (same id); returns false when there is none. */
  update(app: ApplicationRecord): Promise<boolean>;
  get(id: string): Promise<ApplicationRecord | null>;
  list(): Promise<ApplicationRecord[]>;
  remove(id: string): Promise<boolean>;
}

export interface GrantStore {
  get(hat: string, applicationId: string): Promise<GrantRecord | null>;
  list(hat: string): Promise<GrantRecord[]>;
  /**
   * Creates or replaces the grant and bumps the HAT's revision. Its `tokensNotBefore` is never
   * lowered: a stamp written by a concurrent revocation survives an enable that read the grant
   * before it (SPEC 10).
   */
  put(grant: GrantRecord): Promise<void>;
  touch(hat: string, applicationId: string, at: Date): Promise<void>;
  /** Removes the application's grants on every HAT (it left the registry); bumps those HATs' revisions. */
  removeForApplication(applicationId: string): Promise<number>;
}

export interface ApprovalStore {
  find(hat: string, name: string, origin: string): Promise<ApprovalRecord | null>;
  get(hat: string, id: string): Promise<ApprovalRecord | null>;
  list(hat: string): Promise<ApprovalRecord[]>;
  /**
   * Creates or replaces the approval for (hat, name, origin); bumps the HAT's revision. An
   * existing approval's `tokensNotBefore` is never lowered.
   */
  put(approval: ApprovalRecord): Promise<void>;
  /** Removes it and bumps the HAT's revision. */
  remove(hat: string, id: string): Promise<boolean>;
  touch(hat: string, id: string, at: Date): Promise<void>;
}

export interface RecordStore {
  /** All or nothing. */
  insert(hat: string, records: DataRecord[]): Promise<void>;
  read(hat: string, endpoint: string, options: ReadOptions): Promise<DataRecord[]>;
  /** Removes every record of the endpoint; returns how many. */
  clear(hat: string, endpoint: string): Promise<number>;
  get(hat: string, recordIds: string[]): Promise<DataRecord[]>;
  /** Removes exactly these records (all or nothing); returns how many. */
  remove(hat: string, recordIds: string[]): Promise<number>;
  /**
   * Replaces the JSON of each record (named by id, of this HAT), all or nothing: false, and
   * nothing changed, when any of them is not a record of this HAT.
   */
  update(hat: string, changes: Array<{ recordId: string; json: string }>): Promise<boolean>;
  /** `{namespace: [endpoint, …]}` of every endpoint that holds records. */
  sources(hat: string): Promise<Record<string, string[]>>;
}

import type { OidcStore } from './ports/oidc.js';
import type { OnceStore } from './ports/once.js';
import type { HatAdminStore, KeyRotationStore } from './ports/operator.js';
import type { ResetStore } from './ports/resets.js';

export type * from './ports/oidc.js';
export type * from './ports/once.js';
export type * from './ports/operator.js';
export type * from './ports/resets.js';

export interface Store {
  readonly kind: 'sqlite' | 'mongodb';
  /** oidc-provider's storage (SPEC 12). */
  readonly oidc: OidcStore;
  readonly hats: HatStore;
  readonly keys: KeyStore;
  readonly sessions: SessionStore;
  readonly activity: ActivityStore;
  readonly applications: ApplicationStore;
  readonly grants: GrantStore;
  readonly approvals: ApprovalStore;
  readonly records: RecordStore;
  /** One-time links sent by mail (SPEC 13). */
  readonly resets: ResetStore;
  readonly once: OnceStore;
  readonly keyRotation: KeyRotationStore;
  readonly hatAdmin: HatAdminStore;
  /** An attempt counter over a window of `windowSeconds`, kept in this store. */
  attempts(name: string, windowSeconds: number, limit: number): AttemptCounter;
  /** Resolves when the datastore answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
