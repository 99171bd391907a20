import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { Logger } from '../../log.js';
import type { ApplicationRegistry } from '../../services/registry.js';
import type { KeyRing } from '../../services/keys.js';
import { dataScopes } from '../../services/oidc/clients.js';
import type { HatRecord } from '../../store/ports.js';
import { buildProvider, type ProviderDeps } from './provider.js';

interface Entry {
  provider: Provider;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** The keys and registry scopes it was built with: when either changes, it is built again. */
  fingerprint: string;
}

export interface ProviderCacheOptions {
  /** How many HATs' providers stay in memory (OIDC_PROVIDER_CACHE). */
  size: number;
  /** How long the registry's scopes may be reused before they are read again (REVISION_CHECK_MS). */
  registryFreshnessMs: number;
}

/**
 * One Provider per HAT, made on first use and kept in a bounded cache (least recently used out).
 * Made again when the HAT's keys change (rotation) or when the registry's data scopes change.
 */
export class ProviderCache {
  private readonly entries = new Map<string, Entry>();
  private scopes: { value: Promise<string[]>; at: number } | undefined;

  constructor(
    private readonly deps: ProviderDeps & { keys: KeyRing; registry: ApplicationRegistry; log: Logger },
    private readonly options: ProviderCacheOptions,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  async get(hat: HatRecord): Promise<Entry> {
    const [keySet, scopes] = await Promise.all([this.deps.keys.keySetId(hat.name, hat.revision), this.dataScopes()]);
    const fingerprint = `${keySet}|${scopes.join(' ')}`;
    const found = this.entries.get(hat.name);
    if (found && found.fingerprint === fingerprint) {
      this.entries.delete(hat.name);
      this.entries.set(hat.name, found);
      return found;
    }
    const { keys } = await this.deps.keys.privateJwks(hat.name, hat.revision);
    const provider = buildProvider(hat, keys, scopes, this.deps);
    provider.on('server_error', (_ctx: unknown, err: unknown) => this.deps.log.error({ err, hat: hat.name }, 'oauth provider error'));
    const entry = { provider, handle: provider.callback(), fingerprint };
    this.entries.delete(hat.name);
    this.entries.set(hat.name, entry);
    while (this.entries.size > this.options.size) this.entries.delete(this.entries.keys().next().value as string);
    return entry;
  }

  /** Every `data:` scope some registered application may ask for, read at most once per freshness period. */
  private dataScopes(): Promise<string[]> {
    const now = Date.now();
    if (!this.scopes || now - this.scopes.at >= this.options.registryFreshnessMs) {
      const value = this.deps.registry.list().then((apps) => [...new Set(apps.flatMap((a) => dataScopes(a.permissions)))].sort());
      value.catch(() => (this.scopes = undefined));
      this.scopes = { value, at: now };
    }
    return this.scopes.value;
  }
}
