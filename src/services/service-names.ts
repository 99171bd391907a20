import { InvalidInput, Titles } from '../errors.js';
import type { ApplicationRecord } from '../store/ports.js';
import { INVISIBLE, skeleton } from './confusables.js';

/** SPEC 6.1: a service's name is 1 to 100 printable characters. */
export const MAX_NAME_LENGTH = 100;

function refuse(detail: string): never {
  throw new InvalidInput(detail, { field: 'name', title: Titles.invalidLoginRequest });
}

/**
 * SPEC 6.1 and 6.9 for the `name` a service gives itself: NFKC-normalised (the form that is shown,
 * logged and put in tokens), 1 to 100 characters, no leading or trailing spaces, no control,
 * format, private-use, unassigned or otherwise invisible characters. Returns the normalised name.
 */
export function parseServiceName(raw: unknown): string {
  if (Array.isArray(raw)) refuse('The service gave its name more than once');
  if (typeof raw !== 'string' || raw.trim() === '') refuse('The service gave no name');
  const name = raw.normalize('NFKC');
  if ([...name].length > MAX_NAME_LENGTH) refuse(`The service's name must be at most ${MAX_NAME_LENGTH} characters`);
  if (raw !== raw.trim() || name !== name.trim()) refuse("The service's name must not begin or end with spaces");
  if (/[\p{C}]/u.test(name) || INVISIBLE.test(name)) refuse("The service's name contains characters that cannot be shown");
  return name;
}

/**
 * SPEC 6.9: a generic service may not take a name confusable with a registered application's id
 * or name (after case folding and skeletons). The applications' skeletons are kept for
 * `freshnessMs`, so a /hatlogin request costs no registry read in the common case.
 */
export class NameGuard {
  private cached: { at: number; skeletons: Map<string, ApplicationRecord> } | null = null;

  constructor(
    private readonly applications: () => Promise<ApplicationRecord[]>,
    private readonly freshnessMs = 1000,
  ) {}

  /** Refuses (400) a generic service's `name` that looks like a registered application. */
  async check(name: string): Promise<void> {
    const lookalike = (await this.skeletons()).get(skeleton(name));
    if (lookalike) {
      refuse(`The name "${name}" looks like the registered application "${lookalike.name}" (${lookalike.id}); a service that is not that application cannot use it`);
    }
  }

  private async skeletons(): Promise<Map<string, ApplicationRecord>> {
    if (this.cached && Date.now() - this.cached.at < this.freshnessMs) return this.cached.skeletons;
    const skeletons = new Map<string, ApplicationRecord>();
    for (const app of await this.applications()) {
      for (const label of [app.id, app.name]) if (label) skeletons.set(skeleton(label), app);
    }
    this.cached = { at: Date.now(), skeletons };
    return skeletons;
  }
}
