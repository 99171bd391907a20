/**
 * A HAT application manifest as the original HAT's exchange (DEX) published them (abridged from
 * hat-reference.md section 5), with fields this server does not use: they must be kept.
 */
export function notablesManifest(overrides: Record<string, unknown> = {}): Record<string, any> {
  return {
    id: 'notables',
    kind: { kind: 'App', url: 'https://notables.example.com/', iosUrl: 'https://apps.apple.com/app/notables', androidUrl: null },
    info: {
      version: '1.0.0',
      published: true,
      name: 'Notables',
      headline: 'All your words',
      description: {
        text: 'Notables keeps your short notes on your own HAT.',
        markdown: '**Notables** keeps your short notes on your own HAT.',
        html: '<p><b>Notables</b> keeps your short notes</p>',
      },
      termsUrl: 'https://notables.example.com/terms',
      dataUsePurpose: 'Your notes are read to show them back to you, and nothing else.',
      supportContact: 'support@notables.example.com',
      dataPreview: [{ source: 'notables', date: { iso: '2018-07-24T12:00:00Z', unix: 1532433600 }, types: ['note'], title: { text: 'A note' } }],
      graphics: {
        banner: { normal: '' },
        logo: { normal: 'https://notables.example.com/logo.png' },
        screenshots: [{ normal: 'https://notables.example.com/s1.png', large: 'https://notables.example.com/s1-large.png' }],
      },
    },
    developer: { id: 'dex', name: 'HATDeX', url: 'https://dataswift.io', country: 'United Kingdom' },
    permissions: {
      rolesGranted: [
        { role: 'namespacewrite', detail: 'rumpel' },
        { role: 'namespaceread', detail: 'rumpel' },
        { role: 'datadebit', detail: 'app-notables' },
      ],
      dataRetrieved: { name: 'notables-bundle', bundle: { profile: { endpoints: [{ endpoint: 'rumpel/profile' }] } } },
    },
    dependencies: { plugs: [], tools: [], contracts: [] },
    setup: {
      kind: 'External',
      url: null,
      iosUrl: 'notablesapp://notablesapphost',
      testingUrl: null,
      validRedirectUris: ['https://notables.example.com/authenticate', 'http://localhost:8080/authenticate'],
      deauthorizeCallbackUrl: null,
      onboarding: null,
      preferences: null,
    },
    status: {
      kind: 'Internal',
      compatibility: '1.0.0',
      recentDataCheckEndpoint: '/rumpel/notablesv1',
      versionReleaseDate: '2018-07-24T12:00:00Z',
    },
    ...overrides,
  };
}
