import { z } from 'zod';
import { InvalidInput, Titles } from '../errors.js';
import type { ApplicationRecord, Permission } from '../store/ports.js';
import { NAMESPACE_PATTERN } from './permissions.js';
import { MAX_REDIRECT_LENGTH, redirectProblem } from './redirects.js';

/*
 * One application model, two ways in (SPEC 5, 9): the compact registration
 * `{id, name, description, homepage, version, redirectUris, permissions}` and the original HAT's
 * application manifest (`{id, kind, info, developer, permissions, setup, status, …}`) both map
 * onto `ApplicationRecord`, and the HAT's API shows every application as a manifest again.
 *
 * A manifest's fields this server does not use (markdown descriptions, screenshots, data
 * bundles, dependencies, …) are kept as registered, in `source`, and shown again in the manifest:
 * the fields it does use are taken from the model, so what is shown is what is enforced.
 * Pure functions only: no store, no HTTP.
 */

export const APPLICATION_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,49}$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const KINDS = ['App', 'DataPlug', 'Tool'] as const;

/** What the mapping yields: the model without what the store adds. */
export type Registration = Omit<ApplicationRecord, 'createdAt'>;

function urlProblem(raw: string, httpsOnly: boolean): string | null {
  if (raw.length > MAX_REDIRECT_LENGTH) return `must be at most ${MAX_REDIRECT_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (httpsOnly) return url.protocol === 'https:' ? null : 'must be an https URL';
  return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'must be an http or https URL';
}

const checked = (problem: (value: string) => string | null) =>
  z.string().superRefine((value, ctx) => {
    const found = problem(value);
    if (found) ctx.addIssue({ code: 'custom', message: found });
  });

/** Optional links: absent, null and '' all mean "none". */
const link = (httpsOnly: boolean) => checked((v) => (v === '' ? null : urlProblem(v, httpsOnly))).nullish();
/** A web page link (homepage, terms, developer): http(s) only, so never `javascript:` or `data:`. */
const webUrl = link(false);
/** A logo is shown as `<img src>`: https only, never inline data. */
const logoUrl = link(true);
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const optionalText = (max: number) => text(max).nullish();

const id = z
  .string()
  .regex(APPLICATION_ID, 'must be 2 to 63 characters: lowercase letters, digits and hyphens, not starting with a hyphen');
const name = text(100)
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => !CONTROL_CHARACTERS.test(s), 'must not contain control characters');
const version = z.string().regex(VERSION, 'must be 1 to 50 characters: letters, digits, and . + _ - (e.g. 1.2.0)');
const redirectUris = z
  .array(checked(redirectProblem))
  .min(1, 'must list at least one URL')
  .max(20, 'must list at most 20 URLs');
const namespace = z
  .string()
  .max(100, 'must be at most 100 characters')
  .regex(NAMESPACE_PATTERN, 'must contain only lowercase letters, digits and hyphens');
const developer = z.strictObject({ name: text(100).trim().min(1, 'must not be empty'), url: webUrl });

/** The compact registration (SPEC 9). Unknown fields are refused, to catch typos. */
export const compactSchema = z.strictObject({
  id,
  name,
  description: text(5000).default(''),
  homepage: webUrl,
  version,
  redirectUris,
  permissions: z
    .array(z.strictObject({ namespace, access: z.enum(['read', 'write'], 'must be "read" or "write"') }))
    .max(100, 'must list at most 100 permissions'),
  kind: z.enum(KINDS, 'must be "App", "DataPlug" or "Tool"').optional(),
  headline: optionalText(200),
  logoUrl: logoUrl,
  termsUrl: webUrl,
  dataUsePurpose: optionalText(2000),
  supportContact: optionalText(200),
  developer: developer.nullish(),
});

const role = z.looseObject({ role: z.string().max(100, 'must be at most 100 characters'), detail: z.string().nullish() });

/** The original HAT's application manifest (SPEC 5): the fields we use are checked, the rest kept. */
export const manifestSchema = z.looseObject({
  id,
  kind: z.looseObject({ kind: z.enum(KINDS, 'must be "App", "DataPlug" or "Tool"'), url: webUrl }),
  info: z.looseObject({
    version,
    name,
    headline: optionalText(200),
    description: z.looseObject({ text: text(5000) }),
    graphics: z.looseObject({ logo: z.looseObject({ normal: logoUrl }).nullish() }).nullish(),
    termsUrl: webUrl,
    dataUsePurpose: optionalText(2000),
    supportContact: optionalText(200),
  }),
  developer: z.looseObject({ name: text(100).trim().min(1, 'must not be empty'), url: webUrl }).nullish(),
  permissions: z.looseObject({ rolesGranted: z.array(role).max(100, 'must list at most 100 roles') }),
  setup: z.looseObject({ kind: z.string().max(50).optional(), url: webUrl, validRedirectUris: redirectUris }),
  status: z.looseObject({ compatibility: version.optional() }).nullish(),
});

type Manifest = z.infer<typeof manifestSchema>;

const NAMESPACE_ROLES: Record<string, Permission['access']> = { namespaceread: 'read', namespacewrite: 'write' };

const NESTED_FIELDS: Record<string, string> = { permissions: 'namespace and access', developer: 'name and url' };

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

/** The first problem of a failed parse, as an InvalidInput that names the field. */
function invalid(body: unknown, error: z.ZodError, allowed: string): InvalidInput {
  const issue = error.issues[0]!;
  const field = fieldPath(issue.path) || 'body';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${field}.` : '';
    const named = issue.keys.map((k) => `"${where}${k}"`).join(', ');
    const fields = issue.path.length ? `the fields are ${NESTED_FIELDS[String(issue.path[0])] ?? 'as documented'}` : allowed;
    return new InvalidInput(`Unknown field ${named}; ${fields}`, { field: `${where}${issue.keys[0]}`, title: Titles.invalidApplication });
  }
  const missing = issue.path.length > 0 && valueAt(body, issue.path) === undefined;
  const detail = missing ? 'is required' : /^[A-Z]/.test(issue.message) ? `: ${issue.message}` : issue.message;
  return new InvalidInput(`${field}${detail.startsWith(':') ? '' : ' '}${detail}`, { field, title: Titles.invalidApplication });
}

function dedupe(permissions: readonly Permission[]): Permission[] {
  const out: Permission[] = [];
  for (const p of permissions) if (!out.some((q) => q.namespace === p.namespace && q.access === p.access)) out.push(p);
  return out;
}

const orEmpty = (value: string | null | undefined): string => value ?? '';

/** A manifest is recognised by the original's sections; anything else is a compact registration. */
export function isManifest(body: object): boolean {
  return 'info' in body || 'setup' in body;
}

/** Parses an untrusted registration of either kind; InvalidInput names the first bad field. */
export function parseRegistration(body: unknown): Registration {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInput('A registration must be a JSON object: a compact registration or a HAT manifest', { field: 'body', title: Titles.invalidApplication });
  }
  return isManifest(body) ? fromManifest(body) : fromCompact(body);
}

export function fromCompact(body: unknown): Registration {
  const parsed = compactSchema.safeParse(body);
  const allowed = `the fields are ${Object.keys(compactSchema.shape).join(', ')} (or send a HAT manifest, with info and setup)`;
  if (!parsed.success) throw invalid(body, parsed.error, allowed);
  const r = parsed.data;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    homepage: orEmpty(r.homepage),
    version: r.version,
    redirectUris: [...new Set(r.redirectUris)],
    permissions: dedupe(r.permissions),
    kind: r.kind ?? 'App',
    headline: orEmpty(r.headline),
    logoUrl: orEmpty(r.logoUrl),
    termsUrl: orEmpty(r.termsUrl),
    dataUsePurpose: orEmpty(r.dataUsePurpose),
    supportContact: orEmpty(r.supportContact),
    developer: r.developer ? { name: r.developer.name, url: orEmpty(r.developer.url) } : null,
    setupUrl: '',
    source: null,
  };
}

/** The namespace permissions a manifest's roles ask for; other roles are kept but give nothing here. */
function permissionsOf(roles: Manifest['permissions']['rolesGranted']): Permission[] {
  const out: Permission[] = [];
  roles.forEach((r, i) => {
    const access = NAMESPACE_ROLES[r.role];
    if (!access) return;
    const problem = namespace.safeParse(r.detail);
    if (!problem.success) {
      const field = `permissions.rolesGranted[${i}].detail`;
      const why = r.detail == null ? 'is required (the namespace)' : problem.error.issues[0]!.message;
      throw new InvalidInput(`${field} ${why}`, { field, title: Titles.invalidApplication });
    }
    out.push({ namespace: problem.data, access });
  });
  return dedupe(out);
}

export function fromManifest(body: unknown): Registration {
  const parsed = manifestSchema.safeParse(body);
  if (!parsed.success) throw invalid(body, parsed.error, 'a HAT manifest has id, kind, info, permissions and setup');
  const m = parsed.data;
  return {
    id: m.id,
    name: m.info.name,
    description: m.info.description.text,
    homepage: orEmpty(m.kind.url),
    version: m.info.version,
    redirectUris: [...new Set(m.setup.validRedirectUris)],
    permissions: permissionsOf(m.permissions.rolesGranted),
    kind: m.kind.kind,
    headline: orEmpty(m.info.headline),
    logoUrl: orEmpty(m.info.graphics?.logo?.normal),
    termsUrl: orEmpty(m.info.termsUrl),
    dataUsePurpose: orEmpty(m.info.dataUsePurpose),
    supportContact: orEmpty(m.info.supportContact),
    developer: m.developer ? { name: m.developer.name, url: orEmpty(m.developer.url) } : null,
    setupUrl: orEmpty(m.setup.url),
    // The manifest as sent (parsed JSON), for the fields the model does not hold.
    source: structuredClone(body) as Record<string, unknown>,
  };
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {});
/** `{key: value}` when value is not empty, for optional manifest fields. */
const some = (key: string, value: string): Json => (value ? { [key]: value } : {});

/** The application as the original HAT's manifest (SPEC 5): the model's fields over what was registered. */
export function toManifest(app: Registration): Json {
  const base = obj(app.source);
  const { id: _i, kind, info, developer: dev, permissions, setup, status, ...rest } = base;
  const baseInfo = obj(info);
  const baseGraphics = obj(baseInfo.graphics);
  const otherRoles = Array.isArray(obj(permissions).rolesGranted)
    ? (obj(permissions).rolesGranted as unknown[]).filter((r) => !(String(obj(r).role) in NAMESPACE_ROLES))
    : [];
  const baseStatus = obj(status);
  return {
    id: app.id,
    kind: { ...obj(kind), kind: app.kind, ...some('url', app.homepage) },
    info: {
      ...baseInfo,
      version: app.version,
      name: app.name,
      ...some('headline', app.headline),
      description: { ...obj(baseInfo.description), text: app.description },
      ...(app.logoUrl ? { graphics: { ...baseGraphics, logo: { ...obj(baseGraphics.logo), normal: app.logoUrl } } } : {}),
      ...some('termsUrl', app.termsUrl),
      ...some('dataUsePurpose', app.dataUsePurpose),
      ...some('supportContact', app.supportContact),
    },
    ...(app.developer ? { developer: { ...obj(dev), name: app.developer.name, ...some('url', app.developer.url) } } : {}),
    permissions: {
      ...obj(permissions),
      rolesGranted: [
        ...app.permissions.map((p) => ({ role: p.access === 'write' ? 'namespacewrite' : 'namespaceread', detail: p.namespace })),
        ...otherRoles,
      ],
    },
    setup: { kind: 'External', ...obj(setup), ...some('url', app.setupUrl), validRedirectUris: [...app.redirectUris] },
    status: { kind: 'Internal', ...baseStatus, compatibility: typeof baseStatus.compatibility === 'string' ? baseStatus.compatibility : app.version },
    ...rest,
  };
}

/**
 * The manifest's `status.recentDataCheckEndpoint` (`/rumpel/notablesv1`) as an endpoint name
 * (`rumpel/notablesv1`), or null: where the original HAT looked for an application's latest data.
 */
export function recentDataEndpoint(app: Registration): string | null {
  const raw = obj(obj(app.source).status).recentDataCheckEndpoint;
  if (typeof raw !== 'string') return null;
  const endpoint = raw.replace(/^\//, '');
  return /^[0-9a-z-]+(?:\/[0-9a-z-]+)+$/.test(endpoint) ? endpoint : null;
}

/** What the original HAT's status object (`HatApplication`) is made of; ApplicationStatus has it. */
interface StatusFacts {
  application: ApplicationRecord;
  setup: boolean;
  enabled: boolean;
  active: boolean;
  needsUpdating: boolean;
}

/**
 * An application's status on a HAT as the original HAT answered it (SPEC 5):
 * `{application: <manifest>, setup, enabled, active, needsUpdating}`, then our own fields.
 */
export function hatStatusView<T extends StatusFacts>(status: T): Json {
  const { application, setup, enabled, active, needsUpdating, ...ours } = status;
  return { application: toManifest(application), setup, enabled, active, needsUpdating, ...ours };
}

/** What an operator sees of a registration (admin API, `npm run apps`): the model, with its manifest. */
export function registryView(app: ApplicationRecord): Json {
  const { source: _source, ...fields } = app;
  return { ...fields, manifest: toManifest(app) };
}

type LegacyFields = 'id' | 'name' | 'description' | 'homepage' | 'version' | 'redirectUris' | 'permissions' | 'createdAt';

/** The "none" values of the fields a compact registration may leave out (and earlier versions did not store). */
export const UNSET_FIELDS: Readonly<Omit<ApplicationRecord, LegacyFields>> = Object.freeze({
  kind: 'App',
  headline: '',
  logoUrl: '',
  termsUrl: '',
  dataUsePurpose: '',
  supportContact: '',
  developer: null,
  setupUrl: '',
  source: null,
});

/**
 * A registration as stored by an earlier version (before manifests), brought to the current
 * model: the fields it lacks get their "none" values. Fields it has, known or not (an OAuth
 * client's, say), are kept. Returns the record itself when nothing was missing.
 */
export function upgradeStored(stored: ApplicationRecord): ApplicationRecord {
  const complete = Object.keys(UNSET_FIELDS).every((k) => Object.hasOwn(stored, k));
  return complete ? stored : { ...UNSET_FIELDS, ...stored };
}

