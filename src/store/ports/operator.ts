// Part of the store contract (src/store/ports.ts re-exports it): one file per newer aggregate.
import type { KeyRecord } from '../ports.js';

/** What a rotation did to one of a HAT's earlier keys (SPEC 4). */
export interface KeyRetirement {
  kid: string;
  hat: string;
  /** Until then the key still verifies what it signed and stays in the JWKS; it never signs again. */
  retireAt: Date;
  /** Retired by a `revoke` rotation (a compromised key): it stopped at once. */
  revoked: boolean;
}

/** Key rotation with overlap (SPEC 4, 9): the retirement of a HAT's earlier keys. */
export interface KeyRotationStore {
  /**
   * Makes `key` the HAT's newest key and retires every earlier one at `retireAt`, keeping a sooner
   * retirement already set (with `revoke`: at once, all of them), and bumps the HAT's revision,
   * in one atomic write. Answers false, and changes nothing, when the HAT does not exist.
   */
  rotate(key: KeyRecord, retirement: { retireAt: Date; revoke: boolean }): Promise<boolean>;
  /** The HAT's retired keys. A key with no retirement is current if newest, else retired long ago. */
  retirements(hat: string): Promise<KeyRetirement[]>;
}

/** What one HAT holds, as the operator's listing shows it (SPEC 9). */
export interface HatCounts {
  records: number;
  grants: number;
  approvals: number;
  sessions: number;
  activity: number;
}

/** The operator's view of the HATs: listing, counting, deleting (SPEC 9). */
export interface HatAdminStore {
  /** HAT names in order, `take` of them after `skip`. */
  names(options: { skip: number; take: number }): Promise<string[]>;
  counts(hat: string): Promise<HatCounts>;
  /**
   * Deletes the HAT with everything it holds (keys, sessions, activity, grants, approvals,
   * records) and reserves its name until `reservedUntil`, in one atomic write. False when there
   * was no such HAT.
   */
  remove(hat: string, reservedUntil: Date): Promise<boolean>;
  /**
   * Removes what requests still running during a deletion wrote for `hat` after it, when no HAT
   * of that name exists (sign-up calls it before it creates one). Does nothing to an existing HAT.
   */
  clearLeftovers(hat: string): Promise<void>;
  /** Until when a deleted HAT's name stays reserved, or null when it is not. */
  reservedUntil(name: string): Promise<Date | null>;
}
