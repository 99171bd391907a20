import type { ApplicationStatus } from '../services/hat-applications.js';
import type { OAuthGrantView } from '../services/oidc/index.js';
import { hostOf } from '../services/redirects.js';
import type { ApprovalRecord } from '../store/ports.js';

/**
 * The confirmation page before a revocation (SPEC 7: "revoking asks for confirmation"): who
 * loses access, what exactly stops, and the two answers. Revoke posts the form (with CSRF);
 * Keep is a link back, so nothing happens unless the owner confirms.
 */
export interface RevokeView {
  /** What the service is called on the dashboard; `host` the host it sends people to ('' when none). */
  name: string;
  host: string;
  /** An unregistered website: its name is only what it calls itself (SPEC 6.9). */
  selfDescribed: boolean;
  registered: boolean;
  /** What stops when it is revoked, one sentence each. */
  consequences: string[];
  /** The form that revokes, and its fields besides the CSRF token. */
  action: string;
  fields: Record<string, string>;
  /** Where Keep goes: the dashboard section the service is listed in. */
  keep: string;
}

export function websiteRevokeView(w: ApprovalRecord): RevokeView {
  return {
    name: w.name,
    host: hostOf(w.origin) ?? w.origin,
    selfDescribed: true,
    registered: false,
    consequences: [
      'It will no longer learn that you own this HAT: the token it holds stops working at once.',
      'The next time it sends you here, your HAT asks you to approve it again.',
    ],
    action: `/dashboard/websites/${encodeURIComponent(w.id)}/revoke`,
    fields: {},
    keep: '/#access',
  };
}

export function applicationRevokeView(s: ApplicationStatus): RevokeView {
  const uses = [...s.granted]
    .sort((a, b) => a.namespace.localeCompare(b.namespace))
    .map((p) => `${p.namespace} (${p.access === 'write' ? 'read and write' : 'read only'})`);
  return {
    name: s.application.name,
    host: hostOf(s.application.redirectUris[0]) ?? '',
    selfDescribed: false,
    registered: true,
    consequences: [
      uses.length
        ? `It will no longer be able to use your data: ${uses.join(', ')}.`
        : 'It will no longer be able to prove that you own this HAT.',
      'Every token it holds stops working at once. Your data stays on your HAT.',
      'You can enable it again later; it will then ask for your consent again.',
    ],
    action: `/dashboard/applications/${encodeURIComponent(s.application.id)}/disable`,
    fields: {},
    keep: '/#access',
  };
}

export function oauthRevokeView(g: OAuthGrantView): RevokeView {
  return {
    name: g.name,
    host: g.host,
    selfDescribed: g.selfDescribed,
    registered: !g.selfDescribed,
    consequences: [
      g.scopes.length ? `It will no longer be able to use what you allowed: ${g.scopes.join(' ')}.` : 'It will no longer be able to use your HAT.',
      'Every access and refresh token it holds stops working at once, and it will have to ask you again.',
    ],
    action: '/dashboard/oauth/revoke',
    fields: { client: g.clientId },
    keep: '/#oauth',
  };
}
