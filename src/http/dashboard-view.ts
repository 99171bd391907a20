import type { ActivityPage, Overview } from '../services/dashboard.js';
import type { ApplicationStatus } from '../services/hat-applications.js';
import { permissionsKey } from '../services/permissions.js';
import type { ActivityEntry, ActivityType, ApplicationRecord } from '../store/ports.js';
import { permissionLines, scopeLines } from '../services/permission-words.js';
import type { OAuthGrantView } from '../services/oidc/index.js';
import { hostOf } from '../services/redirects.js';
import { applicationAbout } from './application-view.js';

/** Shapes the dashboard's data for its templates: readable times, words for codes. */

export interface When {
  /** For `<time datetime>`. */
  iso: string;
  /** `2026-11-24 14:03 UTC` */
  text: string;
}

export function when(date: Date | null | undefined): When | null {
  if (!date) return null;
  const iso = date.toISOString();
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` };
}

/** The host part shown on the dashboard; empty when there is none. */
const hostShown = (url: string | undefined): string => hostOf(url) ?? '';

/** What both lists show of an application: who it is, and the permissions its buttons consent to. */
function applicationCard(s: ApplicationStatus) {
  return {
    id: s.application.id,
    name: s.application.name,
    description: s.application.description,
    homepage: s.application.homepage,
    ...applicationAbout(s.application),
    host: hostShown(s.application.redirectUris[0]),
    shownKey: permissionsKey(s.application.permissions),
  };
}

export function overviewView(overview: Overview) {
  const applications = overview.applications.map((s) => ({
    ...applicationCard(s),
    permissions: permissionLines(s.granted),
    // Consenting again: all it asks for, each marked new or already allowed.
    asked: s.needsConsent ? permissionLines(s.application.permissions, s.granted) : [],
    needsConsent: s.needsConsent,
    enabledAt: when(s.updatedAt),
    lastUsed: when(s.lastUsedAt),
  }));
  const websites = overview.websites.map((w) => ({
    id: w.id,
    name: w.name,
    host: hostShown(w.origin),
    origin: w.origin,
    approvedAt: when(w.createdAt),
    lastUsed: when(w.lastUsedAt),
  }));
  const available = overview.available.map((s) => ({
    ...applicationCard(s),
    permissions: permissionLines(s.application.permissions),
    disabledAt: s.setup ? when(s.updatedAt) : null,
  }));
  const names = applicationNames([...overview.applications, ...overview.available].map((s) => s.application));
  return { applications, websites, available, count: applications.length + websites.length, names };
}

/** Registered applications' names by id, for `activityView` (the log keeps the id, people know the name). */
export function applicationNames(applications: readonly ApplicationRecord[]): Map<string, string> {
  return new Map(applications.map((a) => [a.id, a.name]));
}

/** The OAuth clients with a grant, their scopes in words (`hat`: the HAT's address, for "that you own it"). */
export function oauthGrantsView(grants: readonly OAuthGrantView[], hat: string) {
  return grants.map((g) => ({ ...g, permissions: scopeLines(g.scopes, hat), grantedAt: when(g.grantedAt), lastUsedAt: when(g.lastUsedAt) }));
}

/** Every activity type in words (a type without one does not compile). */
const WHAT: Record<ActivityType, string> = {
  login: 'Logged in',
  login_failed: 'Wrong password',
  login_throttled: 'Refused: too many wrong passwords',
  approval: 'Approved',
  denial: 'Denied',
  revocation: 'Revoked access',
  application_enabled: 'Enabled application',
  application_disabled: 'Disabled application',
  password_changed: 'Changed the password',
  password_reset_requested: 'Password reset link sent by mail',
  password_reset: 'Password reset from a link in an email',
  email_change_requested: 'Asked to change the email address',
  email_confirmed: 'Confirmed the email address',
  logout: 'Logged out',
  token_refused: 'Refused an OAuth token',
  owner_disabled: 'HAT disabled',
  owner_enabled: 'HAT enabled again',
  key_rotated: 'Signing key replaced',
};

/** An approval is also the service's login: it got a token. */
const APPROVAL_DETAIL: Record<string, string> = {
  remembered: 'Logged in (approved before)',
  approved: 'Approved and logged in',
  'application enabled': 'Enabled and logged in',
};

const VIA: Record<string, string> = {
  api: 'API',
  hatlogin: 'Log in with HAT',
  dashboard: 'Dashboard',
  oauth: 'OAuth / OpenID Connect',
  operator: 'By the operator',
  recovery: 'Link in an email',
  signup: 'Sign-up',
};

function what(entry: ActivityEntry): string {
  if (entry.type === 'approval' && entry.detail && APPROVAL_DETAIL[entry.detail]) return APPROVAL_DETAIL[entry.detail]!;
  if (entry.type === 'login_failed' && entry.detail === 'password change') return 'Wrong current password (password change)';
  return WHAT[entry.type] ?? entry.type; // an entry written by a newer version
}

/** Details that say more than the type (an application's consent); repeats of the type are left out. */
function extra(entry: ActivityEntry): string {
  if (!entry.detail) return '';
  if (entry.type === 'approval' || entry.type === 'login_failed') return '';
  return entry.detail;
}

/** `names` gives registered applications' names by id: the log keeps the id, people know the name. */
export function activityView(page: ActivityPage, names: ReadonlyMap<string, string> = new Map()) {
  const rows = page.entries.map((e) => {
    const failed = e.type === 'login_failed' || e.type === 'login_throttled';
    return {
      id: e.id,
      at: when(e.at)!,
      what: what(e),
      failed,
      // A failed attempt's service name and host are whatever the requester sent: shown as its
      // claim, never as a registered application's name (issue 11, finding 13).
      claimed: failed && e.service !== undefined,
      service: failed ? (e.service ?? '') : ((e.service && names.get(e.service)) ?? e.service ?? ''),
      host: e.redirectHost ?? '',
      via: VIA[e.via] ?? e.via,
      clientIp: e.clientIp ?? '',
      detail: extra(e),
    };
  });
  return {
    rows,
    page: page.page,
    pages: page.pages,
    total: page.total,
    first: page.total === 0 ? 0 : (page.page - 1) * page.perPage + 1,
    last: (page.page - 1) * page.perPage + page.entries.length,
    previous: page.page > 1 ? page.page - 1 : null,
    next: page.page < page.pages ? page.page + 1 : null,
  };
}

/** One entry of the JSON download: the stored facts, without the HAT (the file is about one). */
export function exportedEntry(e: ActivityEntry) {
  return {
    id: e.id,
    at: e.at.toISOString(),
    type: e.type,
    via: e.via,
    ...(e.service !== undefined ? { service: e.service } : {}),
    ...(e.redirectHost !== undefined ? { redirectHost: e.redirectHost } : {}),
    ...(e.clientIp !== undefined ? { clientIp: e.clientIp } : {}),
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
  };
}
