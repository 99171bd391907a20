import type { ApplicationRecord, Permission } from '../store/ports.js';

/*
 * What the pages show about an application beyond its name (SPEC 6.4, 7): what its HAT manifest
 * offers. Every value is shown as text or as a link to an http(s) page (checked at registration);
 * the logo only as an <img> from an https URL, never inline, and only its origin is let through
 * the page's CSP (security.ts `allowImagesFrom`).
 */
export function applicationAbout(app: ApplicationRecord) {
  return {
    headline: app.headline,
    logoUrl: app.logoUrl.startsWith('https://') ? app.logoUrl : '',
    developer: app.developer,
    termsUrl: app.termsUrl,
    dataUsePurpose: app.dataUsePurpose,
    supportContact: app.supportContact,
  };
}

/**
 * One line per namespace with the strongest access asked for (a manifest often asks for both
 * `namespaceread` and `namespacewrite` on one namespace; write includes read), in the order asked.
 */
export function strongestAccess(permissions: readonly Permission[]): Array<{ namespace: string; write: boolean }> {
  const byNamespace = new Map<string, boolean>();
  for (const p of permissions) byNamespace.set(p.namespace, (byNamespace.get(p.namespace) ?? false) || p.access === 'write');
  return [...byNamespace].map(([namespace, write]) => ({ namespace, write }));
}
