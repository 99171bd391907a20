import type { Logger } from '../log.js';
import { InvalidInput, NotFound } from '../errors.js';
import type { HatCounts, HatRecord, Store } from '../store/ports.js';
import type { ActivityLog } from './activity.js';
import type { KeyRing } from './keys.js';
import type { Owners } from './owners.js';

/** What the operator sees of a HAT (SPEC 9). */
export interface HatSummary {
  name: string;
  created: string;
  disabled: boolean;
  /** The key ids that verify the HAT's tokens now, the signing key first. */
  keyIds: string[];
  counts: HatCounts;
}

/** How long a deleted HAT's name stays unavailable to sign-up (SPEC 9). */
export const NAME_RESERVED_DAYS = 30;
const MAX_PAGE = 1000;
const SWEEP_PAGE = 500;

/**
 * The operator's HAT administration (SPEC 9): one service behind both the admin API and
 * `npm run hats`. Every action is written to the HAT's activity log (`via: operator`) and to the
 * server log. An unknown HAT is NotFound; a HAT deleted or changed while this runs answers as
 * before or after it, never half-way.
 */
export class HatAdministration {
  constructor(
    private readonly store: Store,
    private readonly keys: KeyRing,
    private readonly owners: Owners,
    private readonly activity: ActivityLog,
    private readonly log: Logger,
  ) {}

  async list(options: { skip?: number; take?: number } = {}): Promise<HatSummary[]> {
    const skip = options.skip ?? 0;
    const take = options.take ?? 100;
    if (!Number.isSafeInteger(skip) || skip < 0) throw new InvalidInput('skip must be a whole number, 0 or more', { field: 'skip' });
    if (!Number.isSafeInteger(take) || take < 1 || take > MAX_PAGE) {
      throw new InvalidInput(`take must be a whole number from 1 to ${MAX_PAGE}`, { field: 'take' });
    }
    const names = await this.store.hatAdmin.names({ skip, take });
    const summaries = await Promise.all(names.map((name) => this.summaryOf(name)));
    // A HAT deleted between the listing and its summary is simply not listed.
    return summaries.filter((s): s is HatSummary => s !== null);
  }

  async show(name: string): Promise<HatSummary> {
    const summary = await this.summaryOf(normalName(name));
    if (!summary) throw notFound(name);
    return summary;
  }

  /** Disables the owner: every token and session of the HAT is refused at once; or enables them again. */
  async setDisabled(name: string, disabled: boolean): Promise<HatSummary> {
    const hat = await this.existing(name);
    await this.owners.setDisabled(hat.name, disabled);
    await this.record(hat.name, disabled ? 'owner_disabled' : 'owner_enabled');
    return this.show(hat.name);
  }

  /** A new signing key at once; with `revoke`, tokens of the earlier keys stop at once (SPEC 4). */
  async rotateKey(name: string, options: { revoke?: boolean } = {}): Promise<{ kid: string; previous: string | null }> {
    const hat = await this.existing(name);
    const revoke = options.revoke === true;
    const rotated = await this.keys.rotate(hat.name, { revoke });
    if (!rotated) throw notFound(name);
    await this.record(hat.name, 'key_rotated', `${revoke ? 'revoked' : 'replaced'} ${rotated.previous ?? 'no key'}; new key ${rotated.kid}`);
    return rotated;
  }

  /**
   * Scheduled rotation (KEY_ROTATION_DAYS): gives a new key, with the usual overlap, to every HAT
   * whose signing key is older than `days`. The key's age is read again just before each
   * rotation, so that processes sweeping at once rarely rotate one HAT twice (and twice is harmless).
   */
  async rotateKeysOlderThan(days: number): Promise<string[]> {
    const rotated: string[] = [];
    const isOld = async (name: string) => {
      const [current] = await this.store.keys.list(name);
      return current !== undefined && Date.now() - current.createdAt.getTime() >= days * 24 * 3600 * 1000;
    };
    for (let skip = 0; ; skip += SWEEP_PAGE) {
      const names = await this.store.hatAdmin.names({ skip, take: SWEEP_PAGE });
      for (const name of names) {
        if (!(await isOld(name))) continue;
        const result = await this.keys.rotate(name, { revoke: false });
        if (!result) continue;
        await this.record(name, 'key_rotated', `scheduled (KEY_ROTATION_DAYS=${days}): replaced ${result.previous ?? 'no key'}; new key ${result.kid}`);
        rotated.push(name);
      }
      if (names.length < SWEEP_PAGE) return rotated;
    }
  }

  /** Deletes the HAT with all it holds; its name stays reserved for NAME_RESERVED_DAYS. */
  async delete(name: string): Promise<{ name: string; reservedUntil: string }> {
    const hat = await this.existing(name);
    const reservedUntil = new Date(Date.now() + NAME_RESERVED_DAYS * 24 * 3600 * 1000);
    const removed = await this.store.hatAdmin.remove(hat.name, reservedUntil);
    if (!removed) throw notFound(name);
    // Its activity log went with it: the server log is the record of the deletion.
    this.log.info({ hat: hat.name, action: 'hat_deleted', by: 'operator', reservedUntil }, 'operator deleted a HAT');
    return { name: hat.name, reservedUntil: reservedUntil.toISOString() };
  }

  private async existing(name: string): Promise<HatRecord> {
    const hat = await this.store.hats.find(normalName(name));
    if (!hat) throw notFound(name);
    return hat;
  }

  private async summaryOf(name: string): Promise<HatSummary | null> {
    const hat = await this.store.hats.find(name);
    if (!hat) return null;
    const [keys, counts] = await Promise.all([this.keys.publishedKeys(hat.name, hat.revision), this.store.hatAdmin.counts(hat.name)]);
    return { name: hat.name, created: hat.createdAt.toISOString(), disabled: hat.disabled, keyIds: keys.map((k) => k.kid), counts };
  }

  private async record(hat: string, type: 'owner_disabled' | 'owner_enabled' | 'key_rotated', detail?: string): Promise<void> {
    await this.activity.record({ hat, type, via: 'operator', ...(detail ? { detail } : {}) });
    this.log.info({ hat, action: type, by: 'operator', ...(detail ? { detail } : {}) }, `operator: ${type.replace('_', ' ')}`);
  }
}

/** HAT names are case-insensitive (SPEC 9). */
function normalName(name: string): string {
  return name.trim().toLowerCase();
}

function notFound(name: string): NotFound {
  return new NotFound(`There is no HAT named ${JSON.stringify(name)}`);
}
