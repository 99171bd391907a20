import { NotAllowed } from '../errors.js';
import type { ApplicationRecord, GrantRecord, HatRecord, Permission, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { nextSecond, untilSecond } from './clock.js';
import { covers, narrow } from './permissions.js';
import type { ApplicationRegistry } from './registry.js';
import type { IssuedToken, Tokens } from './tokens.js';
import { hostOf } from './redirects.js';
import { Lru } from '../lru.js';
import { recentDataEndpoint } from './application-model.js';

/*
 * Each HAT's consent to registered applications (SPEC 1, 5 and 9); the registrations themselves
 * are in registry.ts. This module is the one owner of grant records: nothing else writes them.
 *
 * A HAT's owner enables an application by consenting to exactly the
 * permissions it declares at that moment; the consent is kept as a snapshot in the HAT's grant.
 * When the registration later asks for more, nothing more is given: its tokens keep what the
 * snapshot allows until the owner consents again. When it asks for less, the tokens lose the
 * difference at once (see `narrow` in permissions.ts).
 */

/** An application as one HAT sees it (compatible with the original's HatApplication where it makes sense). */
export interface ApplicationStatus {
  application: ApplicationRecord;
  /** The owner has enabled it at some time (a grant exists, enabled or not). */
  setup: boolean;
  enabled: boolean;
  /** Enabled, and the consent covers everything it declares now: it can have tokens. */
  active: boolean;
  /** Enabled, but it now declares permissions the owner has not consented to. */
  needsConsent: boolean;
  /** The consented version is not the registered one. */
  needsUpdating: boolean;
  /** What its tokens may do on this HAT now (the consent, narrowed by the registration). */
  granted: Permission[];
  /** What it declares beyond the consent: what consenting again would add. */
  newPermissions: Permission[];
  consentedVersion: string | null;
  /** When the owner last enabled or disabled it. */
  updatedAt: Date | null;
  /** When it last got a token or used the data API (to the minute). */
  lastUsedAt: Date | null;
  /** When its manifest's data endpoint last received a record, for an enabled application that names one. */
  mostRecentData?: Date;
}

export interface ApplicationChange {
  /** Where the owner did it, for the activity log. */
  via: 'api' | 'dashboard' | 'hatlogin';
  clientIp?: string;
}

const USE_NOTE_INTERVAL_MS = 60_000;

function statusOf(app: ApplicationRecord, grant: GrantRecord | null): ApplicationStatus {
  const enabled = grant?.enabled ?? false;
  const consented = grant?.permissions ?? [];
  const needsConsent = enabled && !covers(consented, app.permissions);
  return {
    application: app,
    setup: grant !== null,
    enabled,
    active: enabled && !needsConsent,
    needsConsent,
    needsUpdating: grant !== null && grant.version !== app.version,
    granted: enabled ? narrow(consented, app.permissions) : [],
    newPermissions: app.permissions.filter((p) => !covers(consented, [p])),
    consentedVersion: grant?.version ?? null,
    updatedAt: grant?.updatedAt ?? null,
    lastUsedAt: grant?.lastUsedAt ?? null,
  };
}

function describe(permissions: readonly Permission[]): string {
  return permissions.length ? permissions.map((p) => `${p.namespace}:${p.access}`).join(', ') : 'no data permissions';
}

/** The owner's side (SPEC 5, 7): each application's status on a HAT, enabling, disabling, tokens. */
export class HatApplications {
  private readonly lastNoted = new Lru<string, number>(50_000);

  constructor(
    private readonly store: Store,
    private readonly registry: ApplicationRegistry,
    private readonly tokens: Tokens,
    private readonly activity: ActivityLog,
  ) {}

  /** Every registered application with its status on `hat`, by id. */
  async statusFor(hat: HatRecord): Promise<ApplicationStatus[]> {
    const [apps, grants] = await Promise.all([this.registry.list(), this.store.grants.list(hat.name)]);
    const byId = new Map(grants.map((g) => [g.applicationId, g]));
    return Promise.all(apps.map((app) => this.withRecentData(hat, statusOf(app, byId.get(app.id) ?? null))));
  }

  /** One application's status on `hat`; 404 when it is not registered. */
  async status(hat: HatRecord, id: string): Promise<ApplicationStatus> {
    const app = await this.registry.get(id);
    return this.withRecentData(hat, statusOf(app, await this.store.grants.get(hat.name, id)));
  }

  /** The status on `hat` of a registration the caller already holds: its grant alone (no `mostRecentData`). */
  async grantStatus(hat: HatRecord, app: ApplicationRecord): Promise<ApplicationStatus> {
    return statusOf(app, await this.store.grants.get(hat.name, app.id));
  }

  /** Adds `mostRecentData` as the original HAT did: the newest record of the manifest's data endpoint. */
  private async withRecentData(hat: HatRecord, status: ApplicationStatus): Promise<ApplicationStatus> {
    const endpoint = status.enabled ? recentDataEndpoint(status.application) : null;
    if (!endpoint) return status;
    const [newest] = await this.store.records.read(hat.name, endpoint, { ordering: 'descending', skip: 0, take: 1 });
    return newest ? { ...status, mostRecentData: newest.createdAt } : status;
  }

  /**
   * Enables the application on `hat` with the owner's consent to exactly what it declares now
   * (also the way to consent again after its permissions grew). Tokens issued before an earlier
   * disabling stay refused; tokens of an application that stays enabled keep working.
   */
  async enable(hat: HatRecord, id: string, change: ApplicationChange): Promise<ApplicationStatus> {
    const app = await this.registry.get(id);
    const existing = await this.store.grants.get(hat.name, id);
    const unchanged =
      existing?.enabled &&
      existing.version === app.version &&
      covers(existing.permissions, app.permissions) &&
      covers(app.permissions, existing.permissions);
    if (existing && unchanged) return statusOf(app, existing);
    const now = new Date();
    const grant: GrantRecord = {
      hat: hat.name,
      applicationId: id,
      enabled: true,
      permissions: app.permissions.map((p) => ({ ...p })),
      version: app.version,
      // Strictly after every token issued so far: a grant removed (the application left the
      // registry) and made again within one second must not revive that second's tokens.
      tokensNotBefore: existing?.enabled ? existing.tokensNotBefore : Math.max(existing?.tokensNotBefore ?? 0, nextSecond()),
      updatedAt: now,
      lastUsedAt: existing?.lastUsedAt ?? null,
    };
    await this.store.grants.put(grant);
    await this.logChange(hat, app, 'application_enabled', change, `consented to ${describe(grant.permissions)} (version ${app.version})`);
    return statusOf(app, grant);
  }

  /**
   * Disables the application on `hat`: its tokens stop working on the next request, and stay
   * refused if it is enabled again later (even within the same second).
   */
  async disable(hat: HatRecord, id: string, change: ApplicationChange): Promise<ApplicationStatus> {
    const app = await this.registry.get(id);
    const existing = await this.store.grants.get(hat.name, id);
    if (!existing?.enabled) return statusOf(app, existing);
    const now = new Date();
    const grant: GrantRecord = { ...existing, enabled: false, tokensNotBefore: nextSecond(), updatedAt: now };
    await this.store.grants.put(grant);
    await this.logChange(hat, app, 'application_disabled', change);
    return statusOf(app, grant);
  }

  /**
   * An application token for an enabled application whose consent covers what it declares
   * (403 otherwise); its `resource` is the first registered redirect URL.
   */
  async accessToken(hat: HatRecord, id: string): Promise<IssuedToken> {
    const app = await this.registry.get(id);
    const grant = await this.store.grants.get(hat.name, id);
    if (!grant?.enabled) throw new NotAllowed(`The application "${id}" is not enabled on this HAT`);
    if (!covers(grant.permissions, app.permissions)) {
      throw new NotAllowed(
        `The application "${id}" now asks for ${describe(app.permissions.filter((p) => !covers(grant.permissions, [p])))}; the owner must consent again`,
      );
    }
    await untilAccepted(grant);
    const issued = await this.tokens.application(hat, { id, version: app.version }, app.redirectUris[0]!);
    await this.store.grants.touch(hat.name, id, new Date());
    this.lastNoted.set(`${hat.name} ${id}`, Date.now());
    return issued;
  }

  private logChange(
    hat: HatRecord,
    app: ApplicationRecord,
    type: 'application_enabled' | 'application_disabled',
    change: ApplicationChange,
    detail?: string,
  ): Promise<void> {
    return this.activity.record({
      hat: hat.name,
      type,
      via: change.via,
      service: app.id,
      redirectHost: hostOf(app.redirectUris[0]),
      ...(change.clientIp ? { clientIp: change.clientIp } : {}),
      ...(detail ? { detail } : {}),
    });
  }

  /**
   * The application is logging in through /hatlogin on the owner's consent (given just now or
   * before): notes the use, and waits until its grant accepts a token issued now.
   */
  async loggingIn(hat: HatRecord, id: string): Promise<void> {
    await this.store.grants.touch(hat.name, id, new Date());
    await this.untilTokensAccepted(hat, id);
  }

  /** The grant behind an application token of `id` on `hat`, for token validation; null when none. */
  grantOf(hat: string, id: string): Promise<GrantRecord | null> {
    return this.store.grants.get(hat, id);
  }

  /** Removes every HAT's grant of `id` (it left the registry); how many there were. */
  removeGrantsOf(id: string): Promise<number> {
    return this.store.grants.removeForApplication(id);
  }

  /**
   * Waits until the grant accepts tokens issued now: right after a disable and re-enable within
   * one second it refuses that second's tokens (so old ones stay dead), for at most a second.
   */
  private async untilTokensAccepted(hat: HatRecord, id: string): Promise<void> {
    const grant = await this.store.grants.get(hat.name, id);
    if (grant) await untilAccepted(grant);
  }

  /** Notes that an application used this HAT (at most once a minute per HAT and application). */
  noteUse(hat: string, id: string): void {
    const key = `${hat} ${id}`;
    const now = Date.now();
    if (now - (this.lastNoted.get(key) ?? 0) < USE_NOTE_INTERVAL_MS) return;
    this.lastNoted.set(key, now);
    // Best effort: a missed note only makes "last used" a minute older.
    this.store.grants.touch(hat, id, new Date(now)).catch(() => this.lastNoted.delete(key));
  }
}

async function untilAccepted(grant: GrantRecord): Promise<void> {
  await untilSecond(grant.tokensNotBefore);
}

