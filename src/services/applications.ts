import { Conflict, InvalidInput, NotAllowed, NotFound, UniqueViolation, Titles } from '../errors.js';
import type { ApplicationRecord, GrantRecord, HatRecord, Permission, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import { nextSecond, untilSecond } from './clock.js';
import type { HatDirectory } from './hats.js';
import { covers, narrow, type DeclaredPermissions } from './permissions.js';
import type { IssuedToken, Tokens } from './tokens.js';
import { hostOf } from './redirects.js';
import { Lru } from '../lru.js';
import { APPLICATION_ID, parseRegistration, upgradeStored } from './application-model.js';

/*
 * Approved applications (SPEC 1, 5 and 9): the cluster's registry, and each owner's consent.
 *
 * The registry is the operators' list of applications with their redirect URLs and the data
 * permissions they ask for. A HAT's owner enables an application by consenting to exactly the
 * permissions it declares at that moment; the consent is kept as a snapshot in the HAT's grant.
 * When the registration later asks for more, nothing more is given: its tokens keep what the
 * snapshot allows until the owner consents again. When it asks for less, the tokens lose the
 * difference at once (see `narrow` in permissions.ts).
 */

interface Cached {
  app: ApplicationRecord | null;
  fetchedAt: number;
}

/**
 * The cluster's application registry (SPEC 9): the admin API and `npm run apps` both use this.
 *
 * `find` answers from memory for up to `freshnessMs`, since every data request of an
 * application consults the registration: changes made in this process are seen at once,
 * changes made by another process (the CLI, a second server) within that time.
 */
export class ApplicationRegistry implements DeclaredPermissions {
  private readonly cache = new Lru<string, Cached>(10_000);

  constructor(
    private readonly store: Store,
    private readonly options: { freshnessMs: number; forgetTokens?: () => void },
  ) {}

  /** Registers a new application; 409 when the id is taken. A POST never replaces: use `replace`. */
  async create(body: unknown): Promise<ApplicationRecord> {
    const app: ApplicationRecord = { ...parseRegistration(body), createdAt: new Date() };
    try {
      await this.store.applications.create(app);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new Conflict(`An application with id "${app.id}" is already registered`, { field: 'id', cause: err });
      throw err;
    }
    this.cache.delete(app.id);
    return app;
  }

  /**
   * Replaces the registration `id` (PUT). The body's id, when given, must be `id`. HATs that
   * enabled it keep their consent snapshot: more permissions need their owners' consent again.
   */
  async replace(id: string, body: unknown): Promise<ApplicationRecord> {
    const withId = typeof body === 'object' && body !== null && !Array.isArray(body) && !('id' in body) ? { ...body, id } : body;
    const registration = parseRegistration(withId);
    if (registration.id !== id) {
      throw new InvalidInput(`id "${registration.id}" in the body differs from "${id}" in the path`, {
        field: 'id',
        title: Titles.invalidApplication,
      });
    }
    const existing = await this.get(id);
    // Fields the registration does not carry (kept by the server, such as an OAuth client's)
    // survive a replacement; every registration field is replaced.
    const app: ApplicationRecord = { ...existing, ...registration, createdAt: existing.createdAt };
    if (!(await this.store.applications.update(app))) throw notRegistered(id);
    this.cache.delete(id);
    return app;
  }

  async list(): Promise<ApplicationRecord[]> {
    return (await this.store.applications.list()).map(upgradeStored);
  }

  /** The registration, read from the store; 404 when there is none. */
  async get(id: string): Promise<ApplicationRecord> {
    const app = APPLICATION_ID.test(id) ? await this.store.applications.get(id) : null;
    if (!app) throw notRegistered(id);
    return upgradeStored(app);
  }

  /**
   * Brings registrations stored by an earlier version up to the current model (run at
   * start-up, through the store's ports, so both adapters are migrated alike). Reads upgrade
   * them in memory too, so a process that has not migrated yet still sees the current model.
   */
  async migrate(): Promise<number> {
    let migrated = 0;
    for (const stored of await this.store.applications.list()) {
      const current = upgradeStored(stored);
      if (current !== stored && (await this.store.applications.update(current))) migrated++;
    }
    if (migrated > 0) this.cache.clear();
    return migrated;
  }

  /** The registration or null, from memory when fresh enough (for hot paths). */
  async find(id: string): Promise<ApplicationRecord | null> {
    if (!APPLICATION_ID.test(id)) return null;
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.fetchedAt < this.options.freshnessMs) return hit.app;
    const stored = await this.store.applications.get(id);
    const app = stored && upgradeStored(stored);
    this.cache.set(id, { app, fetchedAt: now });
    return app;
  }

  async declared(id: string): Promise<readonly Permission[] | null> {
    return (await this.find(id))?.permissions ?? null;
  }

  /**
   * Removes the application and every HAT's grant of it: its tokens stop working on the next
   * request (the grants' removal bumps those HATs' revisions, and this process's token cache
   * is dropped as well).
   */
  async remove(id: string): Promise<{ grantsRemoved: number }> {
    if (!APPLICATION_ID.test(id) || !(await this.store.applications.get(id))) throw notRegistered(id);
    // Grants first: should the second write fail, the registration is still there to remove
    // again, rather than gone with grants left behind that a re-registration would revive.
    const grantsRemoved = await this.store.grants.removeForApplication(id);
    if (!(await this.store.applications.remove(id))) throw notRegistered(id);
    this.cache.delete(id);
    this.options.forgetTokens?.();
    return { grantsRemoved };
  }
}

function notRegistered(id: string): NotFound {
  return new NotFound(`No application "${id}" is registered on this cluster`, { title: Titles.applicationNotFound });
}

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
    private readonly hats: HatDirectory,
    private readonly tokens: Tokens,
    private readonly activity: ActivityLog,
  ) {}

  /** Every registered application with its status on `hat`, by id. */
  async statusFor(hat: HatRecord): Promise<ApplicationStatus[]> {
    const [apps, grants] = await Promise.all([this.registry.list(), this.store.grants.list(hat.name)]);
    const byId = new Map(grants.map((g) => [g.applicationId, g]));
    return apps.map((app) => statusOf(app, byId.get(app.id) ?? null));
  }

  /** One application's status on `hat`; 404 when it is not registered. */
  async status(hat: HatRecord, id: string): Promise<ApplicationStatus> {
    const app = await this.registry.get(id);
    return statusOf(app, await this.store.grants.get(hat.name, id));
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
    this.hats.forget(hat.name);
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
    this.hats.forget(hat.name);
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
   * Waits until the grant accepts tokens issued now: right after a disable and re-enable within
   * one second it refuses that second's tokens (so old ones stay dead), for at most a second.
   */
  async untilTokensAccepted(hat: HatRecord, id: string): Promise<void> {
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

