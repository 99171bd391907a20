import { Conflict, InvalidInput, NotFound, UniqueViolation, Titles } from '../errors.js';
import type { ApplicationRecord, Permission, Store } from '../store/ports.js';
import type { DeclaredPermissions } from './permissions.js';
import { Lru } from '../lru.js';
import { APPLICATION_ID, parseRegistration, upgradeStored } from './application-model.js';

/*
 * The cluster's application registry (SPEC 9): the operators' list of applications with their
 * redirect URLs and the data permissions they ask for (the model is in application-model.ts).
 * Each HAT's consent to them is in hat-applications.ts.
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
    private readonly options: {
      freshnessMs: number;
      /** Removes the application's grants on every HAT (grants belong to HatApplications). */
      removeGrants: (id: string) => Promise<number>;
    },
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

  /**
   * The registration as stored at this moment, or null: for a flow whose page, consent check and
   * grant must all see the same registration (a remembered copy could be up to `freshnessMs` old).
   */
  async current(id: string): Promise<ApplicationRecord | null> {
    const stored = await this.store.applications.get(id);
    return stored && upgradeStored(stored);
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
   * request (the grants' removal bumps those HATs' revisions, and this process forgets what it
   * remembers of every HAT and token: store/changes.ts).
   */
  async remove(id: string): Promise<{ grantsRemoved: number }> {
    if (!APPLICATION_ID.test(id) || !(await this.store.applications.get(id))) throw notRegistered(id);
    // Grants first: should the second write fail, the registration is still there to remove
    // again, rather than gone with grants left behind that a re-registration would revive.
    const grantsRemoved = await this.options.removeGrants(id);
    if (!(await this.store.applications.remove(id))) throw notRegistered(id);
    this.cache.delete(id);
    return { grantsRemoved };
  }
}

function notRegistered(id: string): NotFound {
  return new NotFound(`No application "${id}" is registered on this cluster`, { title: Titles.applicationNotFound });
}

