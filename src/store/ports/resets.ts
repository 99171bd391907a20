// Part of the store contract (src/store/ports.ts re-exports it): one file per newer aggregate.

/**
 * What a one-time secret is for: a link sent by mail (SPEC 13), or `signin`, the hand-off that
 * logs the browser that just signed up in on its new HAT (never mailed; minutes, not half an hour).
 */
export type ResetPurpose = 'password' | 'email' | 'signin';

/** A one-time link sent by mail: a password reset, or the confirmation of an email address. */
export interface ResetRecord {
  /** SHA-256 (hex) of the link's secret: the secret itself is never stored. */
  hash: string;
  hat: string;
  purpose: ResetPurpose;
  /** The address being confirmed ('email'); '' for a password reset. */
  email: string;
  /** For a password reset: a digest of the password hash it was sent under; a changed password voids it. */
  fingerprint: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface ResetStore {
  /** Keeps the link and voids every earlier link of the same HAT and purpose, in one write. */
  issue(link: ResetRecord): Promise<void>;
  /** The link with this hash if it is still usable at `now`, without using it. */
  find(hash: string, now: Date): Promise<ResetRecord | null>;
  /** Uses the link: of concurrent callers at most one gets it, and it is gone afterwards. */
  claim(hash: string, now: Date): Promise<ResetRecord | null>;
  /** Voids the HAT's links of this purpose. */
  revoke(hat: string, purpose: ResetPurpose): Promise<void>;
  /** The address last confirmed for the HAT, '' when none was. */
  verifiedEmail(hat: string): Promise<string>;
  /**
   * Makes `email` the HAT's address and records it as confirmed, bumping the HAT's revision;
   * UniqueViolation('email') when another HAT has that address.
   */
  confirmEmail(hat: string, email: string): Promise<void>;
}
