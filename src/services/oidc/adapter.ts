import type { OidcStore } from '../../store/ports.js';

type Payload = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** How oidc-provider's `Client` model finds a client that it does not know statically. */
export type ClientLookup = (id: string) => Promise<Payload | undefined>;

/**
 * oidc-provider's storage adapter for one HAT (its documented interface: example/my_adapter.js),
 * over our OidcStore port, so that both the SQLite and the MongoDB adapter keep its records.
 * `Client` is not stored: registered applications come from the registry (`clients`); other
 * client ids fall through to the library's Client ID Metadata Document resolution.
 * `removed` is told whenever a record of the HAT is removed (revocation, reuse, logout), not when
 * one is consumed: a used code or rotated refresh token leaves every access token as it was, so
 * the data API keeps what it remembers of them.
 */
export function adapterFor(store: OidcStore, hat: string, clients: ClientLookup, removed: () => void = () => {}) {
  return class HatOidcAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      await store.upsert(hat, this.model, id, {
        payload,
        grantId: str(payload.grantId),
        uid: str(payload.uid),
        userCode: str(payload.userCode),
        clientId: this.model === 'Grant' ? str(payload.clientId) : undefined,
        accountId: this.model === 'Grant' ? str(payload.accountId) : undefined,
        expiresAt: typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null,
      });
    }

    async find(id: string): Promise<Payload | undefined> {
      if (this.model === 'Client') return clients(id);
      return (await store.find(hat, this.model, id)) ?? undefined;
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      return (await store.findByUid(hat, this.model, uid)) ?? undefined;
    }

    async findByUserCode(userCode: string): Promise<Payload | undefined> {
      return (await store.findByUserCode(hat, this.model, userCode)) ?? undefined;
    }

    async consume(id: string): Promise<void> {
      await store.consume(hat, this.model, id, Math.floor(Date.now() / 1000));
    }

    async destroy(id: string): Promise<void> {
      await store.destroy(hat, this.model, id);
      removed();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await store.revokeByGrantId(hat, grantId);
      removed();
    }
  };
}
