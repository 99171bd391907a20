// Part of the store contract (src/store/ports.ts re-exports it): one file per newer aggregate.

/**
 * What oidc-provider keeps (SPEC 12): its models (Session, Interaction, AuthorizationCode,
 * AccessToken, RefreshToken, Grant, PushedAuthorizationRequest, ReplayDetection, …), each an
 * opaque JSON payload, kept per HAT. `hat` is '' for cluster-wide records (client secrets).
 * An expired record is never returned; `consume` marks a code or refresh token as used, and
 * `find` then returns it with `consumed` set, which is how the library detects a replay.
 */
export interface OidcRecord {
  payload: Record<string, unknown>;
  /** The grant a token belongs to, for revokeByGrantId. */
  grantId?: string;
  /** Session uid, for findByUid. */
  uid?: string;
  userCode?: string;
  /** For Grants: which client and which account, for the dashboard and for "already approved". */
  clientId?: string;
  accountId?: string;
  /** Null: never expires. */
  expiresAt: Date | null;
}

export interface OidcGrantRow {
  id: string;
  payload: Record<string, unknown>;
  lastUsedAt: Date | null;
}

export interface OidcStore {
  upsert(hat: string, model: string, id: string, record: OidcRecord): Promise<void>;
  find(hat: string, model: string, id: string): Promise<Record<string, unknown> | null>;
  findByUid(hat: string, model: string, uid: string): Promise<Record<string, unknown> | null>;
  findByUserCode(hat: string, model: string, userCode: string): Promise<Record<string, unknown> | null>;
  /** Marks the record consumed at `at` (epoch seconds). */
  consume(hat: string, model: string, id: string, at: number): Promise<void>;
  destroy(hat: string, model: string, id: string): Promise<void>;
  /** Removes every token and code of the grant, of any model (the Grant record itself stays). */
  revokeByGrantId(hat: string, grantId: string): Promise<void>;
  /** The HAT's unexpired Grant records, newest first. */
  grants(hat: string): Promise<OidcGrantRow[]>;
  /** The newest unexpired Grant of (client, account) on the HAT, if any. */
  grantFor(hat: string, clientId: string, accountId: string): Promise<string | null>;
  /** Notes that a grant's token was used. */
  touchGrant(hat: string, grantId: string, at: Date): Promise<void>;
}
