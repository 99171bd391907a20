import type { Connection } from 'mongoose';
import type { OidcGrantRow, OidcRecord, OidcStore } from '../ports.js';

interface OidcDoc {
  _id: string;
  hat: string;
  model: string;
  id: string;
  /** JSON text: the library's payloads carry keys MongoDB would not take as field names. */
  payload: string;
  grantId?: string | null;
  uid?: string | null;
  userCode?: string | null;
  clientId?: string | null;
  accountId?: string | null;
  /** A TTL index removes expired documents; reads also filter them, since the TTL monitor lags. */
  expiresAt?: Date | null;
  consumed?: number | null;
  lastUsedAt?: Date | null;
  createdAt: Date;
}

const keyOf = (hat: string, model: string, id: string) => `${hat}\u0000${model}\u0000${id}`;

function payloadOf(doc: Pick<OidcDoc, 'payload' | 'consumed'> | null): Record<string, unknown> | null {
  if (!doc) return null;
  const payload = JSON.parse(doc.payload) as Record<string, unknown>;
  if (doc.consumed !== null && doc.consumed !== undefined) payload.consumed = doc.consumed;
  return payload;
}

/** oidc-provider's records in MongoDB: one collection, `_id` = hat, model and id. Indexes are made here, awaited. */
export async function openMongoOidc(conn: Connection): Promise<OidcStore> {
  const c = conn.collection<OidcDoc>('oidc');
  await c.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  await c.createIndex({ hat: 1, grantId: 1 }, { partialFilterExpression: { grantId: { $type: 'string' } } });
  await c.createIndex({ hat: 1, model: 1, uid: 1 }, { partialFilterExpression: { uid: { $type: 'string' } } });
  await c.createIndex({ hat: 1, model: 1, userCode: 1 }, { partialFilterExpression: { userCode: { $type: 'string' } } });
  await c.createIndex({ hat: 1, model: 1, clientId: 1, accountId: 1, createdAt: -1 });
  const live = () => ({ $or: [{ expiresAt: null }, { expiresAt: { $gt: new Date() } }] });
  const projection = { payload: 1, consumed: 1 } as const;
  return {
    async upsert(hat, model, id, record: OidcRecord) {
      await c.updateOne(
        { _id: keyOf(hat, model, id) },
        {
          $set: {
            hat,
            model,
            id,
            payload: JSON.stringify(record.payload),
            grantId: record.grantId ?? null,
            uid: record.uid ?? null,
            userCode: record.userCode ?? null,
            clientId: record.clientId ?? null,
            accountId: record.accountId ?? null,
            expiresAt: record.expiresAt,
            consumed: null,
          },
          $setOnInsert: { createdAt: new Date(), lastUsedAt: null },
        },
        { upsert: true },
      );
    },
    async find(hat, model, id) {
      return payloadOf(await c.findOne({ _id: keyOf(hat, model, id), ...live() }, { projection }));
    },
    async findByUid(hat, model, uid) {
      return payloadOf(await c.findOne({ hat, model, uid, ...live() }, { projection }));
    },
    async findByUserCode(hat, model, userCode) {
      return payloadOf(await c.findOne({ hat, model, userCode, ...live() }, { projection }));
    },
    async consume(hat, model, id, at) {
      await c.updateOne({ _id: keyOf(hat, model, id) }, { $set: { consumed: at } });
    },
    async destroy(hat, model, id) {
      await c.deleteOne({ _id: keyOf(hat, model, id) });
    },
    async revokeByGrantId(hat, grantId) {
      await c.deleteMany({ hat, grantId, model: { $ne: 'Grant' } });
    },
    async grants(hat): Promise<OidcGrantRow[]> {
      const docs = await c.find({ hat, model: 'Grant', ...live() }).sort({ createdAt: -1 }).toArray();
      return docs.map((d) => ({ id: d.id, payload: JSON.parse(d.payload) as Record<string, unknown>, lastUsedAt: d.lastUsedAt ?? null }));
    },
    async grantFor(hat, clientId, accountId) {
      const doc = await c.findOne({ hat, model: 'Grant', clientId, accountId, ...live() }, { sort: { createdAt: -1 }, projection: { id: 1 } });
      return doc ? doc.id : null;
    },
    async touchGrant(hat, grantId, at) {
      await c.updateOne({ _id: keyOf(hat, 'Grant', grantId) }, { $set: { lastUsedAt: at } });
    },
  };
}
