import type { Permission } from '../store/ports.js';
import { covers } from './permissions.js';

/*
 * Permissions as the owner reads them (issue 12): one plain sentence per namespace with the
 * strongest access asked for, write first, on every page that asks or shows (the /hatlogin
 * approval page, the OAuth consent page, the dashboard). When a service the owner already let in
 * asks again for more, each line says whether it is "New" or "already allowed": the comparison
 * with the current grant is made here, once, not in the pages.
 */

/** How a line compares with what the owner allowed before; null when nothing was allowed before. */
export type Mark = 'new' | 'allowed' | null;

export interface PermissionLine {
  /** A data namespace, or null for what is not data (an OAuth identity scope). */
  namespace: string | null;
  /** Data lines only: write includes read. */
  access: Permission['access'] | null;
  sentence: string;
  mark: Mark;
}

/** The words of one namespace's access. */
export function dataSentence(namespace: string, access: Permission['access']): string {
  return access === 'write' ? `See, add and change your ${namespace} data` : `See your ${namespace} data`;
}

/**
 * One line per namespace with the strongest access asked for (a manifest often asks for both
 * read and write on one namespace), write first, then by namespace.
 */
export function strongestAccess(permissions: readonly Permission[]): Permission[] {
  const byNamespace = new Map<string, Permission['access']>();
  for (const p of permissions) if (byNamespace.get(p.namespace) !== 'write') byNamespace.set(p.namespace, p.access);
  return [...byNamespace]
    .map(([namespace, access]) => ({ namespace, access }))
    .sort((a, b) => (a.access === b.access ? a.namespace.localeCompare(b.namespace) : a.access === 'write' ? -1 : 1));
}

/**
 * `asked` in words. `allowed` is what the owner's current grant already gives (null when there
 * is none: a first request, nothing to compare): a line it covers is "already allowed", any
 * other "New" (asking to write where reading was allowed is new).
 */
export function permissionLines(asked: readonly Permission[], allowed: readonly Permission[] | null = null): PermissionLine[] {
  return strongestAccess(asked).map((p) => ({
    namespace: p.namespace,
    access: p.access,
    sentence: dataSentence(p.namespace, p.access),
    mark: allowed === null ? null : covers(allowed, [p]) ? 'allowed' : 'new',
  }));
}

/** What each OAuth scope that is not data means to the owner, in the order the page lists them. */
const IDENTITY_WORDS: Record<string, (hat: string) => string> = {
  openid: (hat) => `That you own ${hat}`,
  profile: () => 'Your name and your HAT name',
  email: () => 'Your email address',
  offline_access: () => 'Keep this access while you are away (until you revoke it)',
};

const DATA_SCOPE = /^data:([0-9a-z-]+):(read|write)$/;

/**
 * OAuth scopes in words: what is not data first (in IDENTITY_WORDS' order), then the data
 * scopes as `permissionLines`. `granted`: the scopes of the client's current grant, or null when
 * it has none. Scopes nobody defined are left out (the provider refuses them before any page).
 */
export function scopeLines(scopes: readonly string[], hat: string, granted: readonly string[] | null = null): PermissionLine[] {
  const has = new Set(granted ?? []);
  const markOf = (scope: string): Mark => (granted === null ? null : has.has(scope) ? 'allowed' : 'new');
  const identity = Object.keys(IDENTITY_WORDS)
    .filter((s) => scopes.includes(s))
    .map((s): PermissionLine => ({ namespace: null, access: null, sentence: IDENTITY_WORDS[s]!(hat), mark: markOf(s) }));
  const data = (list: readonly string[]): Permission[] =>
    list.flatMap((s) => {
      const m = DATA_SCOPE.exec(s);
      return m ? [{ namespace: m[1]!, access: m[2] as Permission['access'] }] : [];
    });
  return [...identity, ...permissionLines(data(scopes), granted === null ? null : data(granted))];
}

/** Whether any line is marked: the page is a request for more, and says so. */
export function asksForMore(lines: readonly PermissionLine[]): boolean {
  return lines.some((l) => l.mark === 'new');
}
