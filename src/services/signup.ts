import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { baseUrl, hatAddress, type Config } from '../config.js';
import { Conflict, InvalidInput, UniqueViolation, invalidFieldTitle, Titles } from '../errors.js';
import type { HatRecord, Store } from '../store/ports.js';
import { hatNameProblem } from './hats.js';
import { newKeyRecord, type KeyVault } from './keys.js';
import type { PasswordHasher } from './passwords.js';
import type { SignupLimits } from './signup-limits.js';
import { passwordLengthProblem, type PasswordRules } from './strength.js';
import type { WorkQueue } from './work-queue.js';

/** The body of POST /api/signup and of the sign-up form (SPEC 9). */
export const signupInput = z.object({
  fullName: z.string().max(200).optional().default(''),
  username: z.string().max(100),
  email: z.string().max(254),
  pass: z.string().max(2000),
  passRepeat: z.string().max(2000),
});
export type SignupInput = z.input<typeof signupInput>;

export type Problem = { field: string; problem: string };

/** Either the new HAT, or every field's problem in form order. */
export type SignupOutcome = { created: NewHat; problems?: undefined } | { created?: undefined; problems: Problem[] };

export interface NewHat {
  hat: string;
  url: string;
  userId: string;
}

// A pragmatic address check (the WHATWG form's rule): something@domain.tld, no spaces.
export const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

/** Creates HATs: checks the request field by field, then writes the HAT and its key pair at once. */
export class Signup {
  /** `name:<n>` and `email:<e>` being created right now in this process: the rest of a burst is refused early. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly vault: KeyVault,
    private readonly rules: PasswordRules,
    private readonly limits: SignupLimits,
    private readonly queue: WorkQueue,
    /** Told of each new HAT once it exists (the confirmation mail, SPEC 13); must not throw. */
    private readonly created: (hat: HatRecord) => void = () => {},
  ) {}

  /**
   * The problems that cost nothing to find, in form order: the name, the email, the password's
   * length and its repetition. The strength estimate runs only once these are all right.
   */
  cheapProblems(input: z.output<typeof signupInput>): Problem[] {
    const found: Problem[] = [];
    const name = input.username.trim().toLowerCase();
    const nameProblem = hatNameProblem(name);
    if (nameProblem) found.push({ field: 'username', problem: `username ${nameProblem}` });
    if (!EMAIL.test(input.email.trim())) found.push({ field: 'email', problem: 'email must be a valid email address' });
    const passProblem = passwordLengthProblem(input.pass);
    if (passProblem) found.push({ field: 'pass', problem: `pass ${passProblem}` });
    else if (input.pass !== input.passRepeat) found.push({ field: 'passRepeat', problem: 'passRepeat does not match pass' });
    return found;
  }

  /** Parses untrusted input; InvalidInput names the first bad field. */
  parse(body: unknown): z.output<typeof signupInput> {
    const parsed = signupInput.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = String(issue?.path[0] ?? 'body');
      throw new InvalidInput(issue?.path.length ? `${field} must be a string (${issue.message})` : 'The body must be a JSON object', { field });
    }
    return parsed.data;
  }

  /** POST /api/signup: the new HAT, or InvalidInput naming the first bad field (Conflict, TooManyAttempts). */
  async create(body: unknown, clientIp: string): Promise<NewHat> {
    const outcome = await this.attempt(this.parse(body), clientIp);
    const first = outcome.problems?.[0];
    if (first) throw new InvalidInput(first.problem, { field: first.field, title: invalidFieldTitle(first.field) });
    return outcome.created!;
  }

  /**
   * Checks and creates, cheapest first: the free checks, then the sign-up limits (SPEC 9), then
   * the strength estimate (off the event loop, with a budget), then the hash and key pair (in the
   * sign-up lane of the work queue, so owners' logins never wait behind them).
   */
  async attempt(input: z.output<typeof signupInput>, clientIp: string): Promise<SignupOutcome> {
    const cheap = this.cheapProblems(input);
    if (cheap.length > 0) return { problems: cheap };
    await this.limits.begin(clientIp);
    const name = input.username.trim().toLowerCase();
    const email = input.email.trim().toLowerCase();
    // A name or email being created right now, or taken already, is refused before anything
    // costly: a burst of sign-ups for one name costs one estimate, one hash and one key pair.
    const claims = [`name:${name}`, `email:${email}`];
    const busy = claims.find((c) => this.inFlight.has(c));
    if (busy) throw takenError(busy.startsWith('email:') ? 'email' : 'username');
    for (const c of claims) this.inFlight.add(c);
    try {
      if (await this.store.hats.find(name)) throw takenError('username');
      // A deleted HAT's name stays taken for a while (SPEC 9), so that no one else inherits its trust.
      if (await this.store.hatAdmin.reservedUntil(name)) throw takenError('username');
      if (await this.store.hats.findByEmail(email)) throw takenError('email');
      const weak = await this.rules.problem(input.pass, [name, input.email, input.fullName]);
      if (weak) return { problems: [{ field: 'pass', problem: `pass ${weak}` }] };
      return { created: await this.createHat(input, name) };
    } finally {
      for (const c of claims) this.inFlight.delete(c);
    }
  }

  private async createHat(input: z.output<typeof signupInput>, name: string): Promise<NewHat> {
    try {
      // Nothing that requests still running at a deletion wrote after it goes to a new owner.
      await this.store.hatAdmin.clearLeftovers(name);
      const now = new Date();
      // One job of the sign-up lane: the hash and the key pair, side by side on libuv's pool.
      const [passwordHash, key] = await this.queue.run('signup', () =>
        Promise.all([this.hasher.hash(input.pass, null), newKeyRecord(name, this.vault, now)]),
      );
      const ownerId = randomUUID();
      // One atomic write: a crash leaves either the whole HAT or a free name. The unique indexes
      // of the store, not a look-up, decide who gets a name or an email.
      const hat: HatRecord = {
        name,
        ownerId,
        email: input.email.trim().toLowerCase(),
        fullName: input.fullName.trim(),
        passwordHash,
        disabled: false,
        tokensNotBefore: 0,
        revision: 1,
        createdAt: now,
      };
      await this.store.hats.create(hat, key);
      this.created(hat);
      const address = hatAddress(this.config, name);
      return { hat: address, url: baseUrl(this.config, address), userId: ownerId };
    } catch (err) {
      if (err instanceof UniqueViolation) throw takenError(err.field === 'email' ? 'email' : 'username');
      throw err;
    }
  }
}

function takenError(field: 'username' | 'email'): Conflict {
  return new Conflict(
    field === 'email' ? 'email is already used by another HAT' : 'username is already taken',
    { field, title: Titles.duplicateSignup },
  );
}
