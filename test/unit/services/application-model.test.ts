import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInput } from '../../../src/errors.js';
import {
  hatStatusView,
  parseRegistration,
  registryView,
  toManifest,
  UNSET_FIELDS,
  upgradeStored,
} from '../../../src/services/application-model.js';
import type { ApplicationRecord } from '../../../src/store/ports.js';
import { notablesManifest } from '../../support/manifests.js';

const compact = (extra: Record<string, unknown> = {}) => ({
  id: 'diary',
  name: 'Diary',
  description: 'A diary on your HAT',
  homepage: 'https://diary.example.com/',
  version: '1.2.0',
  redirectUris: ['https://diary.example.com/cb', 'https://diary.example.com/cb'],
  permissions: [
    { namespace: 'diary', access: 'write' },
    { namespace: 'diary', access: 'write' },
    { namespace: 'profile', access: 'read' },
  ],
  ...extra,
});

/** The InvalidInput a registration gets: its field and its detail. */
function refusal(body: unknown): { field: string | undefined; detail: string } {
  try {
    parseRegistration(body);
  } catch (err) {
    assert.ok(err instanceof InvalidInput, `expected InvalidInput, got ${String(err)}`);
    return { field: err.field, detail: err.detail };
  }
  assert.fail('the registration was accepted');
}

describe('the compact registration maps onto the application model', () => {
  it('keeps its fields, drops duplicates, and gives every manifest-only field its "none" value', () => {
    const app = parseRegistration(compact());
    assert.deepEqual(app, {
      ...UNSET_FIELDS,
      id: 'diary',
      name: 'Diary',
      description: 'A diary on your HAT',
      homepage: 'https://diary.example.com/',
      version: '1.2.0',
      redirectUris: ['https://diary.example.com/cb'],
      permissions: [
        { namespace: 'diary', access: 'write' },
        { namespace: 'profile', access: 'read' },
      ],
    });
  });

  it('takes the optional presentation fields', () => {
    const app = parseRegistration(
      compact({
        kind: 'DataPlug',
        headline: 'Write it down',
        logoUrl: 'https://diary.example.com/logo.png',
        termsUrl: 'https://diary.example.com/terms',
        dataUsePurpose: 'To show you your diary',
        developer: { name: 'Diary Ltd', url: 'https://diary.example.com' },
      }),
    );
    assert.equal(app.kind, 'DataPlug');
    assert.equal(app.logoUrl, 'https://diary.example.com/logo.png');
    assert.deepEqual(app.developer, { name: 'Diary Ltd', url: 'https://diary.example.com' });
  });

  it('is shown as a HAT manifest', () => {
    const manifest = toManifest(parseRegistration(compact({ logoUrl: 'https://diary.example.com/logo.png' })));
    assert.deepEqual(manifest, {
      id: 'diary',
      kind: { kind: 'App', url: 'https://diary.example.com/' },
      info: {
        version: '1.2.0',
        name: 'Diary',
        description: { text: 'A diary on your HAT' },
        graphics: { logo: { normal: 'https://diary.example.com/logo.png' } },
      },
      permissions: {
        rolesGranted: [
          { role: 'namespacewrite', detail: 'diary' },
          { role: 'namespaceread', detail: 'profile' },
        ],
      },
      setup: { kind: 'External', validRedirectUris: ['https://diary.example.com/cb'] },
      status: { kind: 'Internal', compatibility: '1.2.0' },
    });
  });

  it('refuses unknown fields, naming them (a typo is caught)', () => {
    assert.deepEqual(refusal(compact({ redirectUri: 'https://x.example' })).field, 'redirectUri');
    assert.match(refusal(compact({ redirectUri: 'x' })).detail, /^Unknown field "redirectUri"; the fields are id, name, .*HAT manifest/);
    assert.equal(refusal(compact({ permissions: [{ namespace: 'a', access: 'read', scope: 'x' }] })).field, 'permissions[0].scope');
  });
});

describe('a HAT manifest maps onto the same model', () => {
  it('takes what the server uses from the original fields', () => {
    const app = parseRegistration(notablesManifest());
    assert.equal(app.id, 'notables');
    assert.equal(app.name, 'Notables');
    assert.equal(app.version, '1.0.0');
    assert.equal(app.description, 'Notables keeps your short notes on your own HAT.');
    assert.equal(app.homepage, 'https://notables.example.com/');
    assert.equal(app.kind, 'App');
    assert.equal(app.headline, 'All your words');
    assert.equal(app.logoUrl, 'https://notables.example.com/logo.png');
    assert.equal(app.termsUrl, 'https://notables.example.com/terms');
    assert.equal(app.dataUsePurpose, 'Your notes are read to show them back to you, and nothing else.');
    assert.equal(app.supportContact, 'support@notables.example.com');
    assert.deepEqual(app.developer, { name: 'HATDeX', url: 'https://dataswift.io' });
    assert.deepEqual(app.redirectUris, ['https://notables.example.com/authenticate', 'http://localhost:8080/authenticate']);
    assert.deepEqual(app.permissions, [
      { namespace: 'rumpel', access: 'write' },
      { namespace: 'rumpel', access: 'read' },
    ]);
    assert.equal(app.setupUrl, '');
  });

  it('is shown again as registered, with the fields the server does not use kept', () => {
    const sent = notablesManifest();
    assert.deepEqual(toManifest(parseRegistration(sent)), sent);
  });

  it('keeps unknown top-level and nested fields rather than refusing them', () => {
    const sent = notablesManifest({ futureField: { a: [1, 2] } });
    sent.info.somethingNew = 'kept';
    sent.setup.alsoNew = true;
    const manifest = toManifest(parseRegistration(sent));
    assert.deepEqual(manifest.futureField, { a: [1, 2] });
    assert.equal((manifest.info as Record<string, unknown>).somethingNew, 'kept');
    assert.equal((manifest.setup as Record<string, unknown>).alsoNew, true);
  });

  it('is not changed by later edits of the object it was parsed from', () => {
    const sent = notablesManifest();
    const app = parseRegistration(sent);
    sent.dependencies.plugs.push('changed');
    assert.deepEqual((toManifest(app).dependencies as { plugs: unknown[] }).plugs, []);
  });

  it('accepts the optional parts as absent, null or empty', () => {
    const m = notablesManifest({ developer: null, status: undefined });
    delete m.info.headline;
    m.info.termsUrl = '';
    m.info.graphics = null;
    m.kind.url = null;
    const app = parseRegistration(m);
    assert.equal(app.developer, null);
    assert.equal(app.headline, '');
    assert.equal(app.termsUrl, '');
    assert.equal(app.logoUrl, '');
    assert.equal(app.homepage, '');
    const shown = toManifest(app);
    assert.deepEqual(shown.status, { kind: 'Internal', compatibility: '1.0.0' });
    assert.equal('developer' in shown, false);
  });

  for (const [what, change, field, pattern] of [
    ['no id', (m: any) => delete m.id, 'id', /^id is required$/],
    ['a bad id', (m: any) => (m.id = 'Notables!'), 'id', /lowercase letters/],
    ['an unknown kind', (m: any) => (m.kind.kind = 'Contract'), 'kind.kind', /"App", "DataPlug" or "Tool"/],
    ['no name', (m: any) => delete m.info.name, 'info.name', /^info\.name is required$/],
    ['no description text', (m: any) => (m.info.description = { markdown: 'x' }), 'info.description.text', /required/],
    ['a logo over plain http', (m: any) => (m.info.graphics.logo.normal = 'http://notables.example.com/l.png'), 'info.graphics.logo.normal', /https/],
    ['an inline logo', (m: any) => (m.info.graphics.logo.normal = 'data:image/png;base64,AAAA'), 'info.graphics.logo.normal', /https/],
    ['a javascript: terms URL', (m: any) => (m.info.termsUrl = 'javascript:alert(1)'), 'info.termsUrl', /http or https/],
    ['no redirect URLs', (m: any) => (m.setup.validRedirectUris = []), 'setup.validRedirectUris', /at least one/],
    ['a bad redirect URL', (m: any) => (m.setup.validRedirectUris = ['http://evil.example/cb']), 'setup.validRedirectUris[0]', /https/],
    ['no setup', (m: any) => delete m.setup, 'setup', /required/],
    ['no rolesGranted', (m: any) => (m.permissions = {}), 'permissions.rolesGranted', /required/],
    ['a bad namespace', (m: any) => (m.permissions.rolesGranted[0].detail = 'Rumpel!'), 'permissions.rolesGranted[0].detail', /lowercase/],
    ['a namespace role without one', (m: any) => delete m.permissions.rolesGranted[1].detail, 'permissions.rolesGranted[1].detail', /required/],
    ['a bad version', (m: any) => (m.info.version = '1.0 beta'), 'info.version', /1 to 50 characters/],
  ] as const) {
    it(`refuses ${what}, naming ${field}`, () => {
      const m = notablesManifest();
      change(m);
      const { field: named, detail } = refusal(m);
      assert.equal(named, field);
      assert.match(detail, pattern);
      assert.ok(detail.startsWith(field), `"${detail}" names ${field} first`);
    });
  }

  it('keeps roles it does not use in the manifest, but they grant nothing', () => {
    const app = parseRegistration(notablesManifest());
    assert.equal(app.permissions.length, 2);
    const roles = (toManifest(app).permissions as { rolesGranted: unknown[] }).rolesGranted;
    assert.deepEqual(roles[2], { role: 'datadebit', detail: 'app-notables' });
  });
});

describe('registrations stored before manifests existed', () => {
  const legacy = {
    id: 'old-app',
    name: 'Old',
    description: '',
    homepage: '',
    version: '1',
    redirectUris: ['https://old.example.com/cb'],
    permissions: [],
    createdAt: new Date(0),
  } as unknown as ApplicationRecord;

  it('are brought to the current model, keeping every field they have', () => {
    const withExtra = { ...legacy, clientSecretHash: 'kept' } as ApplicationRecord;
    assert.deepEqual(upgradeStored(withExtra), { ...UNSET_FIELDS, ...withExtra });
  });

  it('are left as they are (the same object) when they are current', () => {
    const current = upgradeStored(legacy);
    assert.equal(upgradeStored(current), current);
  });
});

describe('views', () => {
  it('the status object puts the original fields first, with the application as its manifest', () => {
    const application = { ...parseRegistration(notablesManifest()), createdAt: new Date(0) };
    const view = hatStatusView({ application, setup: true, enabled: true, active: false, needsUpdating: false, granted: [] });
    assert.deepEqual(Object.keys(view), ['application', 'setup', 'enabled', 'active', 'needsUpdating', 'granted']);
    assert.equal((view.application as { id: string }).id, 'notables');
  });

  it('the registry view shows the model and the manifest, not the stored source', () => {
    const view = registryView({ ...parseRegistration(notablesManifest()), createdAt: new Date(0) });
    assert.equal('source' in view, false);
    assert.deepEqual(view.manifest, notablesManifest());
  });
});
