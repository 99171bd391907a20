import { randomUUID } from 'node:crypto';
import { UNSET_FIELDS } from '../../src/services/application-model.js';
import type { ApplicationRecord, HatRecord, KeyRecord, Permission } from '../../src/store/ports.js';

/**
 * The test data every tier shares: the node:test suites (test/http, test/unit) and the browser
 * tests (e2e/fixtures.ts re-exports these). When the application model gains a field, it is added
 * here once, not in every test that registers an application.
 */

/** The example application as the store keeps it: a notes app that writes notes and reads the profile. */
export function application(overrides: Partial<ApplicationRecord> = {}): ApplicationRecord {
  return {
    id: 'notes-app',
    name: 'Notes',
    description: 'Keeps your notes on your own HAT.',
    homepage: 'https://notes.example.com',
    version: '1.0.0',
    redirectUris: ['https://notes.example.com/auth/callback'],
    permissions: [
      { namespace: 'notes', access: 'write' },
      { namespace: 'profile', access: 'read' },
    ],
    ...UNSET_FIELDS,
    createdAt: new Date(),
    ...overrides,
  };
}

/**
 * The compact registration of `application(overrides)`, as the admin API takes it (SPEC 9):
 * without `createdAt` and the fields only the model fills in.
 */
export function registration(overrides: Partial<ApplicationRecord> = {}): Record<string, unknown> {
  const { createdAt: _createdAt, setupUrl: _setupUrl, source: _source, ...body } = application(overrides);
  return body;
}

/**
 * The smallest compact registration, named after its id, for tests that register several:
 * "The <id> application", redirecting to https://<id>.example.com/callback, asking for
 * `permissions` (none by default); `extra` adds or replaces fields.
 */
export function registrationFor(id: string, permissions: Permission[] = [], extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `The ${id} application`,
    description: `What ${id} does with your data`,
    homepage: `https://${id}.example.com/`,
    version: '1.0.0',
    redirectUris: [`https://${id}.example.com/callback`],
    permissions,
    ...extra,
  };
}

let storeCounter = 0;
/** A name no other test of this run uses: lower-case letters and digits, like a HAT name. */
export const freshName = (prefix: string) => `${prefix}${process.pid.toString(36)}${(++storeCounter).toString(36)}`;

/** A HAT record as the store keeps it, for tests that write to a store directly. */
export function hatRecord(name: string, overrides: Partial<HatRecord> = {}): HatRecord {
  return {
    name,
    ownerId: randomUUID(),
    email: `${name}@example.com`,
    fullName: 'Ada Lovelace',
    passwordHash: `hash$${name}`,
    disabled: false,
    tokensNotBefore: 0,
    revision: 1,
    createdAt: new Date(),
    ...overrides,
  };
}

/** A key record with placeholder key material: the store keeps it opaque. */
export function keyRecord(hat: string, overrides: Partial<KeyRecord> = {}): KeyRecord {
  const kid = overrides.kid ?? freshName('kid');
  return { kid, hat, publicPem: `pem:${kid}`, privateKeyEnc: `enc:${kid}`, createdAt: new Date(), ...overrides };
}
