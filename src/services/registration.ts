import { z } from 'zod';
import { InvalidInput, Titles } from '../errors.js';
import type { ApplicationRecord, Permission } from '../store/ports.js';
import { NAMESPACE_PATTERN } from './permissions.js';
import { MAX_REDIRECT_LENGTH, redirectProblem } from './redirects.js';

/*
 * What an operator registers for an application (SPEC 9), and the rules it must meet. The
 * registry (registry.ts) stores registrations; each HAT's consent to one is in hat-applications.ts.
 */

export const APPLICATION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,49}$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function homepageProblem(raw: string): string | null {
  if (raw.length > MAX_REDIRECT_LENGTH) return `must be at most ${MAX_REDIRECT_LENGTH} characters`;
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'must be an http or https URL';
  } catch {
    return 'must be an absolute URL';
  }
}

const checked = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: 'custom', message: found });
  });

const permission = z.strictObject({
  namespace: z
    .string()
    .max(100, 'must be at most 100 characters')
    .regex(NAMESPACE_PATTERN, 'must contain only lowercase letters, digits and hyphens'),
  access: z.enum(['read', 'write'], 'must be "read" or "write"'),
});

/** A registration as operators send it (SPEC 9). Unknown fields are refused, to catch typos. */
export const registrationSchema = z.strictObject({
  id: z
    .string()
    .regex(APPLICATION_ID, 'must be 2 to 63 characters: lowercase letters, digits and hyphens, not starting with a hyphen'),
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters'),
  description: z.string().max(2000, 'must be at most 2000 characters').default(''),
  homepage: z.union([z.literal(''), checked(homepageProblem)]).default(''),
  version: z.string().regex(VERSION, 'must be 1 to 50 characters: letters, digits, and . + _ - (e.g. 1.2.0)'),
  redirectUris: z.array(checked(redirectProblem)).min(1, 'must list at least one URL').max(20, 'must list at most 20 URLs'),
  permissions: z.array(permission).max(100, 'must list at most 100 permissions'),
});

export type Registration = Omit<ApplicationRecord, 'createdAt'>;

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)), '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Parses an untrusted registration; InvalidInput names the first bad field and what is wrong with it. */
export function parseRegistration(body: unknown): Registration {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInput('A registration must be a JSON object', { field: 'body', title: Titles.invalidApplication });
  }
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = fieldPath(issue.path) || 'body';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${field}.` : '';
      const allowed = issue.path.length ? 'namespace and access' : Object.keys(registrationSchema.shape).join(', ');
      const named = issue.keys.map((k) => `"${where}${k}"`).join(', ');
      throw new InvalidInput(`Unknown field ${named}; the fields are ${allowed}`, {
        field: `${where}${issue.keys[0]}`,
        title: Titles.invalidApplication,
      });
    }
    const missing = issue.path.length > 0 && valueAt(body, issue.path) === undefined;
    const text = missing ? 'is required' : /^[A-Z]/.test(issue.message) ? `: ${issue.message}` : ` ${issue.message}`;
    throw new InvalidInput(`${field}${missing ? ' ' : ''}${text}`, { field, title: Titles.invalidApplication });
  }
  const r = parsed.data;
  const permissions: Permission[] = [];
  for (const p of r.permissions) {
    if (!permissions.some((q) => q.namespace === p.namespace && q.access === p.access)) permissions.push(p);
  }
  return { ...r, redirectUris: [...new Set(r.redirectUris)], permissions };
}
