import type { ApplicationRecord } from '../store/ports.js';

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
