import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotAllowed } from '../../../src/errors.js';
import type { Principal } from '../../../src/services/authentication.js';
import {
  canRead,
  canWrite,
  covers,
  narrow,
  Permissions,
  permissionsKey,
  requireDataAccess,
  requireRead,
  requireWrite,
} from '../../../src/services/permissions.js';
import type { Permission } from '../../../src/store/ports.js';

/** SPEC 8: who may do what with a HAT's data, as one caller × operation table, without a server. */

function principal(scope: Principal['scope'], permissions: Permission[] = [], application?: string): Principal {
  const claims = { iss: 'alice.hat.localhost', sub: 'owner-id', iat: 0, exp: 0, jti: 'j', accessScope: scope, application };
  return { hat: 'alice', scope, permissions, claims };
}

const callers = {
  owner: principal('owner'),
  'notes app (write notes, read profile)': principal('application', [
    { namespace: 'notes', access: 'write' },
    { namespace: 'profile', access: 'read' },
  ]),
  'app granted read and write on one namespace': principal('application', [
    { namespace: 'notes', access: 'read' },
    { namespace: 'notes', access: 'write' },
  ]),
  'app granted nothing': principal('application', []),
  'validate token': principal('validate', [], 'Some Website'),
} satisfies Record<string, Principal>;

type Caller = keyof typeof callers;
type Operation = 'read notes' | 'write notes' | 'read profile' | 'write profile' | 'read other' | 'write other' | 'span namespaces';

const R = true;
const _ = false;
/** Each caller's row, in the order of OPERATIONS. */
const OPERATIONS: Operation[] = ['read notes', 'write notes', 'read profile', 'write profile', 'read other', 'write other', 'span namespaces'];
const TABLE: Record<Caller, boolean[]> = {
  owner: [R, R, R, R, R, R, R],
  'notes app (write notes, read profile)': [R, R, R, _, _, _, R],
  'app granted read and write on one namespace': [R, R, _, _, _, _, R],
  'app granted nothing': [_, _, _, _, _, _, R],
  'validate token': [_, _, _, _, _, _, _],
};

function attempt(who: Principal, operation: Operation): void {
  if (operation === 'span namespaces') return requireDataAccess(who);
  const [verb, namespace] = operation.split(' ') as ['read' | 'write', string];
  return verb === 'read' ? requireRead(who, namespace) : requireWrite(who, namespace);
}

describe('who may do what with the data (SPEC 8)', () => {
  for (const [caller, row] of Object.entries(TABLE) as Array<[Caller, boolean[]]>) {
    OPERATIONS.forEach((operation, i) => {
      const allowed = row[i]!;
      it(`${caller}: ${operation} → ${allowed ? 'allowed' : '403'}`, () => {
        const who = callers[caller];
        if (operation !== 'span namespaces') {
          const [verb, namespace] = operation.split(' ') as ['read' | 'write', string];
          assert.equal((verb === 'read' ? canRead : canWrite)(who, namespace), allowed);
        }
        if (allowed) assert.doesNotThrow(() => attempt(who, operation));
        else assert.throws(() => attempt(who, operation), NotAllowed);
      });
    });
  }

  it('tells an application which namespace it may not touch, and how', () => {
    assert.throws(
      () => requireWrite(callers['notes app (write notes, read profile)'], 'profile'),
      (err: unknown) => err instanceof NotAllowed && err.detail === 'This application may not write the namespace "profile" on this HAT',
    );
    assert.throws(
      () => requireRead(callers['app granted nothing'], 'notes'),
      (err: unknown) => err instanceof NotAllowed && err.detail === 'This application may not read the namespace "notes" on this HAT',
    );
  });

  it('tells a validate token that it opens no data at all', () => {
    for (const op of OPERATIONS) {
      assert.throws(
        () => attempt(callers['validate token'], op),
        (err: unknown) => err instanceof NotAllowed && /only proves who owns this HAT; it gives no access to data/.test(err.detail),
      );
    }
  });
});

describe('covers: whether a grant gives everything asked for (write covers read)', () => {
  const w = (namespace: string): Permission => ({ namespace, access: 'write' });
  const r = (namespace: string): Permission => ({ namespace, access: 'read' });
  const table: Array<[string, Permission[], Permission[], boolean]> = [
    ['nothing asked', [], [], true],
    ['the same', [w('a'), r('b')], [w('a'), r('b')], true],
    ['write covers read', [w('a')], [r('a')], true],
    ['read does not cover write', [r('a')], [w('a')], false],
    ['a new namespace is not covered', [w('a')], [w('a'), r('c')], false],
    ['more granted than asked', [w('a'), w('b')], [r('b')], true],
    ['asked, nothing granted', [], [r('a')], false],
  ];
  for (const [what, granted, wanted, covered] of table) it(`${what} → ${covered}`, () => assert.equal(covers(granted, wanted), covered));
});

describe('narrow: a consent snapshot under the current registration', () => {
  const w = (namespace: string): Permission => ({ namespace, access: 'write' });
  const r = (namespace: string): Permission => ({ namespace, access: 'read' });
  const table: Array<[string, Permission[], Permission[], Permission[]]> = [
    ['unchanged', [w('a'), r('b')], [w('a'), r('b')], [w('a'), r('b')]],
    ['a registration that shrinks takes access away', [w('a'), r('b')], [r('a')], [r('a')]],
    ['one that grows gives nothing new', [r('a')], [w('a'), w('b')], [r('a')]],
    ['a namespace no longer declared is gone', [w('a'), w('b')], [w('b')], [w('b')]],
    ['repeated namespaces count once, at their strongest', [r('a'), w('a')], [w('a')], [w('a')]],
    ['nothing declared', [w('a')], [], []],
  ];
  for (const [what, snapshot, declared, expected] of table) {
    it(what, () => assert.deepEqual(narrow(snapshot, declared), expected));
  }
});

describe('permissionsKey: the shape of a permission set, whatever its order', () => {
  it('is the same for the same set in another order, and differs for another set', () => {
    const a = permissionsKey([
      { namespace: 'notes', access: 'write' },
      { namespace: 'profile', access: 'read' },
    ]);
    const b = permissionsKey([
      { namespace: 'profile', access: 'read' },
      { namespace: 'notes', access: 'write' },
    ]);
    assert.equal(a, b);
    assert.equal(a, 'notes:write,profile:read');
    assert.notEqual(a, permissionsKey([{ namespace: 'notes', access: 'write' }]));
    assert.equal(permissionsKey([]), '');
  });
});

describe('Permissions.resolve: what a principal may do right now', () => {
  const declared = new Map<string, Permission[]>([['notes', [{ namespace: 'notes', access: 'read' }]]]);
  const resolver = new Permissions({ declared: async (id) => declared.get(id) ?? null });

  it('narrows an application token by the current registration', async () => {
    const who = principal('application', [{ namespace: 'notes', access: 'write' }], 'notes');
    assert.deepEqual((await resolver.resolve(who)).permissions, [{ namespace: 'notes', access: 'read' }]);
  });

  it('gives nothing to an application that left the registry', async () => {
    const who = principal('application', [{ namespace: 'notes', access: 'write' }], 'gone');
    assert.deepEqual((await resolver.resolve(who)).permissions, []);
  });

  it('returns owners and validate tokens as they are', async () => {
    assert.equal(await resolver.resolve(callers.owner), callers.owner);
    assert.equal(await resolver.resolve(callers['validate token']), callers['validate token']);
  });
});
