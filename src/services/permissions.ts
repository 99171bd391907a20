import { NotAllowed } from '../errors.js';
import type { Access, Permission } from '../store/ports.js';
import type { Principal } from './authentication.js';

/**
 * Who may touch which data namespace: the ONE place that decides it (SPEC 8).
 *
 * - the owner may do anything;
 * - an application token may do what the owner granted the application on this HAT, while it
 *   is enabled there (the Authenticator refuses a token of a disabled application outright, and
 *   puts the grant's snapshot in `principal.permissions`); `write` includes `read`;
 * - a `validate` token, which only proves that someone owns the HAT, may do nothing.
 *
 * A token of another HAT never reaches this far: the Authenticator refuses it (401).
 */

/** A namespace, the unit of permission (SPEC 8): `[0-9a-z-]+`. */
export const NAMESPACE_PATTERN = /^[0-9a-z-]+$/;

type Level = 0 | 1 | 2;
const LEVEL: Record<Access, Level> = { read: 1, write: 2 };

/** The strongest access `permissions` give on `namespace`: 0 none, 1 read, 2 write. */
function levelOf(permissions: readonly Permission[], namespace: string): Level {
  let level: Level = 0;
  for (const p of permissions) if (p.namespace === namespace && LEVEL[p.access] > level) level = LEVEL[p.access];
  return level;
}

function may(principal: Principal, namespace: string, wanted: Level): boolean {
  switch (principal.scope) {
    case 'owner':
      return true;
    case 'application':
      return levelOf(principal.permissions, namespace) >= wanted;
    default:
      return false;
  }
}

export function canRead(principal: Principal, namespace: string): boolean {
  return may(principal, namespace, LEVEL.read);
}

export function canWrite(principal: Principal, namespace: string): boolean {
  return may(principal, namespace, LEVEL.write);
}

function refusal(principal: Principal, verb: 'read' | 'write', namespace: string): NotAllowed {
  if (principal.scope === 'validate') {
    return new NotAllowed('A validate token only proves who owns this HAT; it gives no access to data');
  }
  return new NotAllowed(`This application may not ${verb} the namespace "${namespace}" on this HAT`);
}

/** For operations that span namespaces (listing sources, deleting by id): validate tokens stop here. */
export function requireDataAccess(principal: Principal): void {
  if (principal.scope !== 'owner' && principal.scope !== 'application') throw refusal(principal, 'read', '');
}

export function requireRead(principal: Principal, namespace: string): void {
  if (!canRead(principal, namespace)) throw refusal(principal, 'read', namespace);
}

export function requireWrite(principal: Principal, namespace: string): void {
  if (!canWrite(principal, namespace)) throw refusal(principal, 'write', namespace);
}

/** The shape of a permission set that a page showed, to compare with what is consented to later. */
export function permissionsKey(permissions: readonly Permission[]): string {
  return permissions
    .map((p) => `${p.namespace}:${p.access}`)
    .sort()
    .join(',');
}

/** Whether `granted` gives at least everything `wanted` asks for (write covers read). */
export function covers(granted: readonly Permission[], wanted: readonly Permission[]): boolean {
  return wanted.every((p) => levelOf(granted, p.namespace) >= LEVEL[p.access]);
}

/**
 * What a consent snapshot still allows once the registration is taken into account: for each
 * namespace, the weaker of the two. A registration that shrinks takes access away at once; one
 * that grows gives nothing new until the owner consents again.
 */
export function narrow(snapshot: readonly Permission[], declared: readonly Permission[]): Permission[] {
  const result: Permission[] = [];
  const seen = new Set<string>();
  for (const { namespace } of snapshot) {
    if (seen.has(namespace)) continue;
    seen.add(namespace);
    const level = Math.min(levelOf(snapshot, namespace), levelOf(declared, namespace));
    if (level === LEVEL.write) result.push({ namespace, access: 'write' });
    else if (level === LEVEL.read) result.push({ namespace, access: 'read' });
  }
  return result;
}

/** Looks up what an application currently declares; null when it is not registered. */
export interface DeclaredPermissions {
  declared(applicationId: string): Promise<readonly Permission[] | null>;
}

/**
 * Resolves a principal to what it may do right now. For an application token that is its
 * consent snapshot narrowed by the current registration (nothing when the application has left
 * the registry); owners and validate tokens are returned as they are.
 */
export class Permissions {
  constructor(private readonly registry: DeclaredPermissions) {}

  async resolve(principal: Principal): Promise<Principal> {
    if (principal.scope !== 'application') return principal;
    const declared = principal.claims.application ? await this.registry.declared(principal.claims.application) : null;
    return { ...principal, permissions: declared ? narrow(principal.permissions, declared) : [] };
  }
}
