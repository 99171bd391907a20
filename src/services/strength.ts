import { TooManyAttempts } from '../errors.js';
import { StrengthPool, type StrengthPoolOptions } from './strength-pool.js';

export const MIN_PASSWORD_LENGTH = 10;
export const MIN_PASSWORD_SCORE = 3;
/** Long enough for any passphrase, short enough that hashing it costs nothing extra. */
export const MAX_PASSWORD_LENGTH = 1024;

/** The length rule alone: free to check, so it runs before anything that costs time. */
export function passwordLengthProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `must be at least ${MIN_PASSWORD_LENGTH} characters long`;
  if (password.length > MAX_PASSWORD_LENGTH) return `must be at most ${MAX_PASSWORD_LENGTH} characters long`;
  return null;
}

const NOT_IN_TIME =
  'could not be checked in time, and a password that cannot be checked counts as too easy to guess. Please choose a different one.';

/**
 * The password rule of SPEC 9: at least 10 characters and a zxcvbn estimate of at least 3.
 * The estimate runs in a worker pool with a time budget (see strength-pool.ts), never on the
 * event loop; an estimate that runs out of time counts as too weak, and one that finds the
 * workers' backlog full is refused for now (429, try again in a moment).
 */
export class PasswordRules {
  private readonly pool: StrengthPool;

  constructor(options: StrengthPoolOptions) {
    this.pool = new StrengthPool(options);
  }

  /**
   * Why a new password is not acceptable, in words for the person choosing it, or null when it
   * is. `related` are words the estimator should treat as guessable (HAT name, email, full name).
   */
  async problem(password: string, related: string[] = []): Promise<string | null> {
    const length = passwordLengthProblem(password);
    if (length) return length;
    const estimate = await this.pool.estimate(password, related.filter(Boolean).map((r) => r.slice(0, 200)));
    if (estimate.kind === 'busy') throw new TooManyAttempts(2, { detail: 'The server is checking many passwords right now; please try again in a few seconds' });
    if (estimate.kind === 'timeout') return NOT_IN_TIME;
    if (estimate.score >= MIN_PASSWORD_SCORE) return null;
    const advice = [estimate.warning, ...estimate.suggestions].filter(Boolean).join(' ');
    return `is too easy to guess (strength ${estimate.score} of 4, at least ${MIN_PASSWORD_SCORE} needed).${advice ? ' ' + advice : ''}`;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
