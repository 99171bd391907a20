// Part of the store contract (src/store/ports.ts re-exports it): one file per newer aggregate.

/**
 * One-time claims: the first `claim` of a key wins, across every process on the store. An
 * approval page's answer is claimed this way, so eight concurrent posts of it issue one token.
 */
export interface OnceStore {
  /** True for the first claim of `key`; false for every later one (until `expiresAt` has passed). */
  claim(key: string, expiresAt: Date): Promise<boolean>;
}
