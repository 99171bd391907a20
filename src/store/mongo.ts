import { answeringOrUnavailable } from './guard.js';
import { openMongoOidc } from './mongo/oidc.js';
import { groupByNamespace } from './sources.js';
import mongoose, { Schema, type ClientSession, type Connection, type Model } from 'mongoose';
import { RateLimiterMongo } from 'rate-limiter-flexible';
import { attemptCounters } from './attempts.js';
import { mongoResets } from './mongo/resets.js';
import { mongoOnce } from './mongo/once.js';
import { mongoOperatorStores } from './mongo/operator.js';
import { sortByValue, sortValueAt, compareText, type SortValue } from './ordering.js';
import { UniqueViolation } from '../errors.js';
import type {
  ActivityEntry,
  OidcStore,
  ApplicationRecord,
  ApprovalRecord,
  DataRecord,
  GrantRecord,
  HatRecord,
  KeyRecord,
  Permission,
  ReadOptions,
  Store,
} from './ports.js';

/**
 * The MongoDB adapter, for several server processes sharing one database. It behaves exactly as
 * the SQLite adapter does; `test/store-contract.ts` holds both to that.
 *
 * Needs a replica set (a single-node one will do) or a sharded cluster: every write that touches
 * two collections (a HAT and its first key; a grant, approval or key and the HAT's `revision`;
 * a batch of records) runs in a multi-document transaction, which a standalone mongod refuses.
 * `openMongoStore` checks this at start-up and says so, rather than failing at the first sign-up.
 *
 * Injection: every filter is built here from values cast with String()/Number()/Date, never from a
 * caller's object, so no caller value can become an operator. Record data and session data are
 * stored as JSON *text*, so keys like `$where`, `__proto__` or `a.b` inside them never reach
 * MongoDB as operators or paths, and come back byte for byte. The price: ordering by a field of
 * the data cannot be done by the database; `read` does it in memory (see ordering.ts).
 */

export interface MongoStoreOptions {
  /** Overrides the database named in the URI (the contract tests use a fresh one per run). */
  dbName?: string;
  /** How long to wait for a reachable server before an operation (or opening) fails. */
  serverSelectionTimeoutMS?: number;
}

interface HatDoc {
  _id: string;
  ownerId: string;
  email: string;
  fullName: string;
  passwordHash: string;
  disabled: boolean;
  tokensNotBefore: number;
  revision: number;
  createdAt: Date;
}
interface KeyDoc {
  _id: string;
  hat: string;
  publicPem: string;
  privateKeyEnc: string;
  createdAt: Date;
  /** The HAT's revision the key was added at: a per-HAT insertion order for equal createdAt. */
  seq: number;
}
interface SessionDoc {
  _id: string;
  hat: string;
  /** JSON text, like record data: session contents never become field paths. */
  data: string;
  expiresAt: Date;
}
interface ActivityDoc {
  _id: string;
  hat: string;
  seq: number;
  at: Date;
  type: string;
  via: string;
  service?: string;
  redirectHost?: string;
  clientIp?: string;
  detail?: string;
}
interface ApplicationDoc {
  _id: string;
  /** The registration without createdAt, as JSON text: returned exactly as it was given. */
  body: string;
  createdAt: Date;
}
interface GrantDoc {
  hat: string;
  applicationId: string;
  enabled: boolean;
  /** JSON text of the consented permissions. */
  permissions: string;
  version: string;
  tokensNotBefore: number;
  updatedAt: Date;
  lastUsedAt: Date | null;
}
interface ApprovalDoc {
  _id: string;
  hat: string;
  name: string;
  origin: string;
  tokensNotBefore: number;
  createdAt: Date;
  lastUsedAt: Date | null;
}
interface RecordDoc {
  _id: string;
  hat: string;
  endpoint: string;
  json: string;
  createdAt: Date;
  seq: number;
}
interface SequenceDoc {
  _id: string;
  seq: number;
}

// strict 'throw': a misspelt field in an update or filter is a bug to hear about, not to ignore.
const schemaOptions = { versionKey: false, strict: 'throw', strictQuery: 'throw', id: false } as const;

function schemas() {
  const hat = new Schema<HatDoc>(
    {
      _id: String,
      ownerId: String,
      email: String,
      fullName: String,
      passwordHash: String,
      disabled: Boolean,
      tokensNotBefore: Number,
      revision: Number,
      createdAt: Date,
    },
    schemaOptions,
  );
  hat.index({ ownerId: 1 }, { unique: true });
  hat.index({ email: 1 }, { unique: true });

  const key = new Schema<KeyDoc>(
    { _id: String, hat: String, publicPem: String, privateKeyEnc: String, createdAt: Date, seq: Number },
    schemaOptions,
  );
  key.index({ hat: 1, createdAt: -1, seq: -1 });

  const session = new Schema<SessionDoc>({ _id: String, hat: String, data: String, expiresAt: Date }, schemaOptions);
  // MongoDB removes expired sessions by itself (within a minute or so); `get` ignores them meanwhile.
  session.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
  session.index({ hat: 1 });

  const activity = new Schema<ActivityDoc>(
    {
      _id: String,
      hat: String,
      seq: Number,
      at: Date,
      type: String,
      via: String,
      service: String,
      redirectHost: String,
      clientIp: String,
      detail: String,
    },
    schemaOptions,
  );
  activity.index({ hat: 1, seq: -1 });

  const application = new Schema<ApplicationDoc>({ _id: String, body: String, createdAt: Date }, schemaOptions);

  const grant = new Schema<GrantDoc>(
    {
      hat: String,
      applicationId: String,
      enabled: Boolean,
      permissions: String,
      version: String,
      tokensNotBefore: Number,
      updatedAt: Date,
      lastUsedAt: Date,
    },
    schemaOptions,
  );
  grant.index({ hat: 1, applicationId: 1 }, { unique: true });
  grant.index({ applicationId: 1 });

  const approval = new Schema<ApprovalDoc>(
    { _id: String, hat: String, name: String, origin: String, tokensNotBefore: Number, createdAt: Date, lastUsedAt: Date },
    schemaOptions,
  );
  approval.index({ hat: 1, name: 1, origin: 1 }, { unique: true });
  approval.index({ hat: 1, createdAt: -1 });

  const record = new Schema<RecordDoc>(
    { _id: String, hat: String, endpoint: String, json: String, createdAt: Date, seq: Number },
    schemaOptions,
  );
  record.index({ hat: 1, endpoint: 1, seq: 1 });

  const sequence = new Schema<SequenceDoc>({ _id: String, seq: Number }, schemaOptions);

  return { hat, key, session, activity, application, grant, approval, record, sequence };
}

/** The rate-limiter-flexible collection; its indexes are made here, as the library would make them. */
const ATTEMPTS = 'attempts';

const TRANSACTION_OPTIONS = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
} as const;

/** What `_id` means in each collection, for UniqueViolation's field. */
const ID_MEANS: Readonly<Record<string, string>> = {
  hats: 'name',
  keys: 'kid',
  applications: 'id',
  records: 'recordId',
  approvals: 'id',
  activity: 'id',
  sessions: 'id',
};

interface ServerErrorShape {
  code?: unknown;
  keyPattern?: unknown;
  keyValue?: unknown;
  errmsg?: unknown;
  message?: unknown;
  errorResponse?: unknown;
  writeErrors?: unknown;
}

/** The error itself, the server's reply, and each write error of a bulk insert: wherever E11000 sits. */
function errorParts(err: unknown): ServerErrorShape[] {
  if (err === null || typeof err !== 'object') return [];
  const e = err as ServerErrorShape;
  const writeErrors = Array.isArray(e.writeErrors) ? (e.writeErrors as Array<{ err?: unknown } | null>) : [];
  return [e, e.errorResponse, ...writeErrors.map((w) => w?.err ?? w)].filter(
    (c): c is ServerErrorShape => c !== null && typeof c === 'object',
  );
}

/**
 * E11000 → UniqueViolation(field), or null for any other error. The field comes from the error's
 * keyPattern (or keyValue); `_id` is named as the port names it, by the collection in the message
 * (`collection: db.keys`), else `idFallback`. A bulk insert keeps all this on its first write error.
 */
export function uniqueViolationOf(err: unknown, idFallback: string): UniqueViolation | null {
  for (const part of errorParts(err)) {
    if (part.code !== 11000 && part.code !== 11001) continue;
    const text = String(part.errmsg ?? part.message ?? '');
    let field: string | undefined;
    for (const pattern of [part.keyPattern, part.keyValue]) {
      if (!field && pattern && typeof pattern === 'object') field = Object.keys(pattern)[0];
    }
    field ??= /dup key: \{ ?"?([A-Za-z0-9_]+)"?:/.exec(text)?.[1] ?? /index: ([A-Za-z0-9_]+?)_-?1\b/.exec(text)?.[1] ?? '_id';
    if (field === '_id') {
      const collection = /collection: [^\s.]+\.([A-Za-z0-9_]+)/.exec(text)?.[1];
      field = (collection && ID_MEANS[collection]) || idFallback;
    }
    return new UniqueViolation(field);
  }
  return null;
}

function translateUnique(err: unknown, idFallback: string): never {
  throw uniqueViolationOf(err, idFallback) ?? err;
}

function hatFromDoc(d: HatDoc): HatRecord {
  return {
    name: d._id,
    ownerId: d.ownerId,
    email: d.email,
    fullName: d.fullName,
    passwordHash: d.passwordHash,
    disabled: d.disabled === true,
    tokensNotBefore: Number(d.tokensNotBefore),
    revision: Number(d.revision),
    createdAt: new Date(d.createdAt),
  };
}

function keyFromDoc(d: KeyDoc): KeyRecord {
  return { kid: d._id, hat: d.hat, publicPem: d.publicPem, privateKeyEnc: d.privateKeyEnc, createdAt: new Date(d.createdAt) };
}

function activityFromDoc(d: ActivityDoc): ActivityEntry {
  const entry: ActivityEntry = { id: d._id, hat: d.hat, at: new Date(d.at), type: d.type as ActivityEntry['type'], via: d.via };
  if (d.service != null) entry.service = d.service;
  if (d.redirectHost != null) entry.redirectHost = d.redirectHost;
  if (d.clientIp != null) entry.clientIp = d.clientIp;
  if (d.detail != null) entry.detail = d.detail;
  return entry;
}

/** Thrown inside a transaction to abort it: a record to update is not there. */
class MissingRecord extends Error {}

function applicationFromDoc(d: ApplicationDoc): ApplicationRecord {
  const body = JSON.parse(d.body) as Omit<ApplicationRecord, 'createdAt'>;
  return { ...body, createdAt: new Date(d.createdAt) };
}

const maybeDate = (d: Date | null | undefined): Date | null => (d == null ? null : new Date(d));

function grantFromDoc(d: GrantDoc): GrantRecord {
  return {
    hat: d.hat,
    applicationId: d.applicationId,
    enabled: d.enabled === true,
    permissions: JSON.parse(d.permissions) as Permission[],
    version: d.version,
    tokensNotBefore: Number(d.tokensNotBefore),
    updatedAt: new Date(d.updatedAt),
    lastUsedAt: maybeDate(d.lastUsedAt),
  };
}

function approvalFromDoc(d: ApprovalDoc): ApprovalRecord {
  return {
    id: d._id,
    hat: d.hat,
    name: d.name,
    origin: d.origin,
    tokensNotBefore: Number(d.tokensNotBefore),
    createdAt: new Date(d.createdAt),
    lastUsedAt: maybeDate(d.lastUsedAt),
  };
}

function recordFromDoc(d: Pick<RecordDoc, '_id' | 'endpoint' | 'json' | 'createdAt'>): DataRecord {
  return { recordId: d._id, endpoint: d.endpoint, json: d.json, createdAt: new Date(d.createdAt) };
}

/** SQLite's `LIMIT take OFFSET skip`: a negative offset is 0, a negative limit is none. */
function page(skip: number, take: number): { start: number; count: number | null } {
  return { start: Math.max(0, Math.trunc(skip) || 0), count: take < 0 ? null : Math.trunc(take) || 0 };
}

/** Credentials never go into an error message or a log. */
function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}

export async function openMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<Store> {
  const conn: Connection = mongoose.createConnection(uri, {
    ...(options.dbName ? { dbName: options.dbName } : {}),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Indexes are built below, awaited, so that a failure stops the start rather than being logged.
    autoIndex: false,
    autoCreate: true,
    // An operation while the server is unreachable fails after serverSelectionTimeoutMS (healthz
    // answers 503) instead of waiting in mongoose's buffer.
    bufferCommands: false,
    // Acknowledged means on a majority of the replica set, in its journal (SPEC 10).
    writeConcern: { w: 'majority', journal: true },
  });
  try {
    await conn.asPromise();
    await requireTransactions(conn);
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot open the MongoDB store at ${redact(uri)}: ${reason}`, { cause: err });
  }

  let resets: Store['resets'];
  const s = schemas();
  const Hats = conn.model<HatDoc>('Hat', s.hat, 'hats');
  const Keys = conn.model<KeyDoc>('Key', s.key, 'keys');
  const Sessions = conn.model<SessionDoc>('Session', s.session, 'sessions');
  const Activities = conn.model<ActivityDoc>('Activity', s.activity, 'activity');
  const Applications = conn.model<ApplicationDoc>('Application', s.application, 'applications');
  const Grants = conn.model<GrantDoc>('Grant', s.grant, 'grants');
  const Approvals = conn.model<ApprovalDoc>('Approval', s.approval, 'approvals');
  const Records = conn.model<RecordDoc>('Record', s.record, 'records');
  const Sequences = conn.model<SequenceDoc>('Sequence', s.sequence, 'sequences');
  const models: Model<any>[] = [Hats, Keys, Sessions, Activities, Applications, Grants, Approvals, Records, Sequences];

  let oidc: OidcStore;
  try {
    // Collections must exist before a transaction writes to them (older servers refuse to create
    // one inside a transaction); createIndexes only adds what is missing, so several processes
    // starting at once, or a newer version beside an older one, do not fight over indexes.
    for (const model of models) {
      await model.init();
      await model.createIndexes();
    }
    const attempts = conn.collection(ATTEMPTS);
    await attempts.createIndex({ expire: -1 }, { expireAfterSeconds: 0 });
    await attempts.createIndex({ key: 1 }, { unique: true });
    resets = await mongoResets(conn);
    oidc = await openMongoOidc(conn);
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    throw new Error(`Cannot prepare the MongoDB store's indexes: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }

  let once;
  try {
    once = await mongoOnce(conn, (err) => uniqueViolationOf(err, 'id') !== null);
  } catch (err) {
    await conn.close(true).catch(() => undefined);
    throw new Error(`Cannot prepare the MongoDB store's indexes: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const transaction = <T>(fn: (session: ClientSession) => Promise<T>): Promise<T> =>
    conn.transaction(fn, TRANSACTION_OPTIONS);

  const bump = (hat: string, session: ClientSession) =>
    Hats.updateOne({ _id: String(hat) }, { $inc: { revision: 1 } }, { session });

  /**
   * Reserves `n` consecutive numbers of the HAT's insertion sequence and returns the first.
   * Outside any transaction on purpose: a gap left by a failed insert is harmless, while a counter
   * written inside transactions would make every concurrent insert on the HAT conflict.
   */
  async function reserve(hat: string, n: number): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await Sequences.findOneAndUpdate(
          { _id: String(hat) },
          { $inc: { seq: n } },
          { upsert: true, returnDocument: 'after', projection: { seq: 1 } },
        )
          .lean<SequenceDoc>()
          .exec();
        if (!doc) throw new Error('the sequence upsert returned nothing');
        return doc.seq - n + 1;
      } catch (err) {
        // Two first upserts of the same counter can race to insert it; the loser retries once.
        if (attempt === 0 && uniqueViolationOf(err, '_id') !== null) continue;
        throw err;
      }
    }
  }


  const operator = await mongoOperatorStores({
    conn,
    transaction,
    insertKey: (key, seq, session) => Keys.insertMany([keyDoc(key, seq)], { session, lean: true }),
  });

  const store: Store = {
    kind: 'mongodb',
    oidc,
    hats: {
      async create(hat, key) {
        try {
          await transaction(async (session) => {
            await Hats.insertMany(
              [
                {
                  _id: String(hat.name),
                  ownerId: String(hat.ownerId),
                  email: String(hat.email),
                  fullName: String(hat.fullName),
                  passwordHash: String(hat.passwordHash),
                  disabled: hat.disabled === true,
                  tokensNotBefore: Number(hat.tokensNotBefore),
                  revision: Number(hat.revision),
                  createdAt: new Date(hat.createdAt),
                },
              ],
              { session, lean: true },
            );
            await Keys.insertMany([keyDoc(key, Number(hat.revision))], { session, lean: true });
          });
        } catch (err) {
          translateUnique(err, 'name');
        }
      },
      async find(name) {
        const doc = await Hats.findOne({ _id: String(name) }).lean<HatDoc>().exec();
        return doc ? hatFromDoc(doc) : null;
      },
      async findByEmail(email) {
        const doc = await Hats.findOne({ email: String(email) }).lean<HatDoc>().exec();
        return doc ? hatFromDoc(doc) : null;
      },
      async revision(name) {
        const doc = await Hats.findOne({ _id: String(name) }, { revision: 1 }).lean<Pick<HatDoc, 'revision'>>().exec();
        return doc ? Number(doc.revision) : null;
      },
      async setPassword(name, passwordHash, tokensNotBefore, endServiceTokens = false) {
        // $max: a stamp is never lowered, whatever a concurrent writer set (SPEC 10).
        const stamp = { tokensNotBefore: Number(tokensNotBefore) };
        await transaction(async (session) => {
          await Hats.updateOne(
            { _id: String(name) },
            { $set: { passwordHash: String(passwordHash) }, $max: stamp, $inc: { revision: 1 } },
            { session },
          );
          if (!endServiceTokens) return;
          await Grants.updateMany({ hat: String(name) }, { $max: stamp }, { session });
          await Approvals.updateMany({ hat: String(name) }, { $max: stamp }, { session });
        });
      },
      async replacePasswordHash(name, expected, passwordHash) {
        const res = await Hats.updateOne(
          { _id: String(name), passwordHash: String(expected) },
          { $set: { passwordHash: String(passwordHash) } },
        );
        return res.modifiedCount > 0;
      },
      async setDisabled(name, disabled) {
        await Hats.updateOne({ _id: String(name) }, { $set: { disabled: disabled === true }, $inc: { revision: 1 } });
      },
      async count() {
        return Hats.countDocuments({});
      },
    },
    keys: {
      async list(hat) {
        const docs = await Keys.find({ hat: String(hat) }).sort({ createdAt: -1, seq: -1 }).lean<KeyDoc[]>().exec();
        return docs.map(keyFromDoc);
      },
      async add(key) {
        try {
          await transaction(async (session) => {
            const bumped = await Hats.findOneAndUpdate(
              { _id: String(key.hat) },
              { $inc: { revision: 1 } },
              { session, returnDocument: 'after', projection: { revision: 1 } },
            )
              .lean<Pick<HatDoc, 'revision'>>()
              .exec();
            // SQLite's foreign key refuses a key for a HAT that does not exist; so does this.
            if (!bumped) throw new Error(`Cannot add a key: there is no HAT named ${String(key.hat)}`);
            await Keys.insertMany([keyDoc(key, Number(bumped.revision))], { session, lean: true });
          });
        } catch (err) {
          translateUnique(err, 'kid');
        }
      },
    },
    sessions: {
      async get(id) {
        const doc = await Sessions.findOne({ _id: String(id), expiresAt: { $gt: new Date() } })
          .lean<SessionDoc>()
          .exec();
        if (!doc) return null;
        return {
          id: doc._id,
          hat: doc.hat,
          data: JSON.parse(doc.data) as Record<string, unknown>,
          expiresAt: new Date(doc.expiresAt),
        };
      },
      async set(session) {
        await Sessions.updateOne(
          { _id: String(session.id) },
          { $set: { hat: String(session.hat), data: JSON.stringify(session.data), expiresAt: new Date(session.expiresAt) } },
          { upsert: true },
        );
      },
      async destroy(id) {
        await Sessions.deleteOne({ _id: String(id) });
      },
      async destroyForHat(hat) {
        const res = await Sessions.deleteMany({ hat: String(hat) });
        return res.deletedCount;
      },
    },
    activity: {
      async append(e) {
        const seq = await reserve(e.hat, 1);
        const doc: ActivityDoc = {
          _id: String(e.id),
          hat: String(e.hat),
          seq,
          at: new Date(e.at),
          type: String(e.type),
          via: String(e.via),
        };
        if (e.service !== undefined) doc.service = String(e.service);
        if (e.redirectHost !== undefined) doc.redirectHost = String(e.redirectHost);
        if (e.clientIp !== undefined) doc.clientIp = String(e.clientIp);
        if (e.detail !== undefined) doc.detail = String(e.detail);
        await Activities.insertMany([doc], { lean: true });
      },
      async list(hat, { skip, take }) {
        const { start, count } = page(skip, take);
        if (count === 0) return [];
        const query = Activities.find({ hat: String(hat) }).sort({ seq: -1 }).skip(start);
        if (count !== null) query.limit(count);
        return (await query.lean<ActivityDoc[]>().exec()).map(activityFromDoc);
      },
      async count(hat) {
        return Activities.countDocuments({ hat: String(hat) });
      },
    },
    applications: {
      async create(app) {
        const { createdAt, ...body } = app;
        try {
          await Applications.insertMany([{ _id: String(app.id), body: JSON.stringify(body), createdAt: new Date(createdAt) }], {
            lean: true,
          });
        } catch (err) {
          translateUnique(err, 'id');
        }
      },
      async update(app) {
        const { createdAt: _ignored, ...body } = app;
        const res = await Applications.updateOne({ _id: String(app.id) }, { $set: { body: JSON.stringify(body) } });
        return res.matchedCount > 0;
      },
      async get(id) {
        const doc = await Applications.findOne({ _id: String(id) }).lean<ApplicationDoc>().exec();
        return doc ? applicationFromDoc(doc) : null;
      },
      async list() {
        const docs = await Applications.find({}).sort({ _id: 1 }).lean<ApplicationDoc[]>().exec();
        return docs.map(applicationFromDoc);
      },
      async remove(id) {
        const res = await Applications.deleteOne({ _id: String(id) });
        return res.deletedCount > 0;
      },
    },
    grants: {
      async get(hat, applicationId) {
        const doc = await Grants.findOne({ hat: String(hat), applicationId: String(applicationId) })
          .lean<GrantDoc>()
          .exec();
        return doc ? grantFromDoc(doc) : null;
      },
      async list(hat) {
        const docs = await Grants.find({ hat: String(hat) }).sort({ applicationId: 1 }).lean<GrantDoc[]>().exec();
        return docs.map(grantFromDoc);
      },
      async put(g) {
        await transaction(async (session) => {
          await Grants.updateOne(
            { hat: String(g.hat), applicationId: String(g.applicationId) },
            {
              $set: {
                enabled: g.enabled === true,
                permissions: JSON.stringify(g.permissions),
                version: String(g.version),
                updatedAt: new Date(g.updatedAt),
                lastUsedAt: g.lastUsedAt ? new Date(g.lastUsedAt) : null,
              },
              // Never lowered: a concurrent disable's stamp survives this write (SPEC 10).
              $max: { tokensNotBefore: Number(g.tokensNotBefore) },
            },
            { upsert: true, session },
          );
          await bump(g.hat, session);
        });
      },
      async touch(hat, applicationId, at) {
        await Grants.updateOne({ hat: String(hat), applicationId: String(applicationId) }, { $set: { lastUsedAt: new Date(at) } });
      },
      async removeForApplication(applicationId) {
        return transaction(async (session) => {
          const holders = await Grants.find({ applicationId: String(applicationId) }, { hat: 1, _id: 0 })
            .session(session)
            .lean<Array<Pick<GrantDoc, 'hat'>>>()
            .exec();
          if (holders.length === 0) return 0;
          await Hats.updateMany({ _id: { $in: holders.map((h) => String(h.hat)) } }, { $inc: { revision: 1 } }, { session });
          const res = await Grants.deleteMany({ applicationId: String(applicationId) }, { session });
          return res.deletedCount;
        });
      },
    },
    approvals: {
      async find(hat, name, origin) {
        const doc = await Approvals.findOne({ hat: String(hat), name: String(name), origin: String(origin) })
          .lean<ApprovalDoc>()
          .exec();
        return doc ? approvalFromDoc(doc) : null;
      },
      async get(hat, id) {
        const doc = await Approvals.findOne({ _id: String(id), hat: String(hat) }).lean<ApprovalDoc>().exec();
        return doc ? approvalFromDoc(doc) : null;
      },
      async list(hat) {
        const docs = await Approvals.find({ hat: String(hat) }).sort({ createdAt: -1 }).lean<ApprovalDoc[]>().exec();
        return docs.map(approvalFromDoc);
      },
      async put(a) {
        // As SQLite's ON CONFLICT(hat, name, origin): an existing approval keeps its id.
        await transaction(async (session) => {
          await Approvals.updateOne(
            { hat: String(a.hat), name: String(a.name), origin: String(a.origin) },
            {
              $max: { tokensNotBefore: Number(a.tokensNotBefore) },
              $set: {
                createdAt: new Date(a.createdAt),
                lastUsedAt: a.lastUsedAt ? new Date(a.lastUsedAt) : null,
              },
              $setOnInsert: { _id: String(a.id) },
            },
            { upsert: true, session },
          );
          await bump(a.hat, session);
        });
      },
      async remove(hat, id) {
        return transaction(async (session) => {
          const res = await Approvals.deleteOne({ _id: String(id), hat: String(hat) }, { session });
          if (res.deletedCount === 0) return false;
          await bump(hat, session);
          return true;
        });
      },
      async touch(hat, id, at) {
        await Approvals.updateOne({ _id: String(id), hat: String(hat) }, { $set: { lastUsedAt: new Date(at) } });
      },
    },
    records: {
      async insert(hat, records) {
        if (records.length === 0) return;
        const first = await reserve(hat, records.length);
        const docs: RecordDoc[] = records.map((r, i) => ({
          _id: String(r.recordId),
          hat: String(hat),
          endpoint: String(r.endpoint),
          json: String(r.json),
          createdAt: new Date(r.createdAt),
          seq: first + i,
        }));
        try {
          await transaction(async (session) => {
            await Records.insertMany(docs, { session, lean: true, ordered: true });
          });
        } catch (err) {
          translateUnique(err, 'recordId');
        }
      },
      async read(hat, endpoint, o: ReadOptions) {
        const { start, count } = page(o.skip, o.take);
        if (count === 0) return [];
        const filter = { hat: String(hat), endpoint: String(endpoint) };
        if (!o.orderBy) {
          const query = Records.find(filter)
            .sort({ seq: o.ordering === 'descending' ? -1 : 1 })
            .skip(start);
          if (count !== null) query.limit(count);
          return (await query.lean<RecordDoc[]>().exec()).map(recordFromDoc);
        }
        // The data is text to MongoDB, so the sort happens here: one pass over the endpoint
        // keeping only (id, sort value, seq), then the page itself is fetched by id.
        const path = String(o.orderBy);
        const keyed: Array<{ id: string; value: SortValue; seq: number }> = [];
        const cursor = Records.find(filter, { json: 1, seq: 1 }).lean<Pick<RecordDoc, '_id' | 'json' | 'seq'>>().cursor({ batchSize: 1000 });
        for await (const doc of cursor) {
          const d = doc as Pick<RecordDoc, '_id' | 'json' | 'seq'>;
          keyed.push({ id: d._id, value: sortValueAt(d.json, path), seq: Number(d.seq) });
        }
        sortByValue(keyed, o.ordering);
        const wanted = keyed.slice(start, count === null ? undefined : start + count).map((k) => k.id);
        if (wanted.length === 0) return [];
        const docs = await Records.find({ ...filter, _id: { $in: wanted } }).lean<RecordDoc[]>().exec();
        const byId = new Map(docs.map((d) => [d._id, d]));
        // A record removed between the two reads is simply left out.
        return wanted.flatMap((id) => {
          const d = byId.get(id);
          return d ? [recordFromDoc(d)] : [];
        });
      },
      async clear(hat, endpoint) {
        // One statement, outside a transaction: a large endpoint would outgrow the transaction
        // limits, and a clear that stops half-way can simply be repeated.
        const res = await Records.deleteMany({ hat: String(hat), endpoint: String(endpoint) });
        return res.deletedCount;
      },
      async get(hat, recordIds) {
        if (recordIds.length === 0) return [];
        const docs = await Records.find({ hat: String(hat), _id: { $in: recordIds.map(String) } })
          .sort({ seq: 1 })
          .lean<RecordDoc[]>()
          .exec();
        return docs.map(recordFromDoc);
      },
      async remove(hat, recordIds) {
        if (recordIds.length === 0) return 0;
        return transaction(async (session) => {
          const res = await Records.deleteMany({ hat: String(hat), _id: { $in: recordIds.map(String) } }, { session });
          return res.deletedCount;
        });
      },
      async update(hat, changes) {
        if (changes.length === 0) return true;
        const writes = changes.map((c) => ({
          updateOne: { filter: { _id: String(c.recordId), hat: String(hat) }, update: { $set: { json: String(c.json) } } },
        }));
        try {
          await transaction(async (session) => {
            const res = await Records.bulkWrite(writes, { session, ordered: true });
            // All or nothing: one record that is not this HAT's aborts the transaction.
            if (res.matchedCount !== changes.length) throw new MissingRecord();
          });
          return true;
        } catch (err) {
          if (err instanceof MissingRecord) return false;
          throw err;
        }
      },
      async sources(hat) {
        const endpoints = (await Records.distinct('endpoint', { hat: String(hat) }).exec()) as unknown[];
        return groupByNamespace(endpoints.map(String).sort(compareText));
      },
    },
    resets,
    once,
    ...operator,
    attempts: attemptCounters(
      (name, windowSeconds, limit) =>
        new RateLimiterMongo({
          storeClient: conn,
          tableName: ATTEMPTS,
          keyPrefix: name,
          points: limit,
          duration: windowSeconds,
          // Made at open, awaited; the library would otherwise build them unawaited per limiter.
          disableIndexesCreation: true,
        }),
    ),
    async ping() {
      const db = conn.db;
      if (!db) throw new Error('The MongoDB connection is closed');
      await db.admin().ping();
    },
    async close() {
      await conn.close();
    },
  };
  return answeringOrUnavailable(store, mongoUnavailable);
}

function keyDoc(key: KeyRecord, seq: number): KeyDoc {
  return {
    _id: String(key.kid),
    hat: String(key.hat),
    publicPem: String(key.publicPem),
    privateKeyEnc: String(key.privateKeyEnc),
    createdAt: new Date(key.createdAt),
    seq,
  };
}

/** Transactions need a replica set member or mongos; say so at start-up, not at the first sign-up. */
async function requireTransactions(conn: Connection): Promise<void> {
  const admin = conn.db?.admin();
  if (!admin) throw new Error('the connection has no database');
  let hello: { setName?: unknown; msg?: unknown };
  try {
    hello = await admin.command({ hello: 1 });
  } catch {
    hello = await admin.command({ isMaster: 1 });
  }
  if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
    throw new Error(
      'the server is a standalone mongod; the MongoDB store needs a replica set (a single-node one will do) for transactions',
    );
  }
}

/** Driver errors that mean the replica set is not answering (as opposed to a refused operation). */
function mongoUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; codeName?: unknown; errorLabels?: unknown; hasErrorLabel?: (label: string) => boolean };
  if (typeof e?.name !== 'string') return false;
  if (/^Mongo(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|PoolCleared|ServerClosed)Error$/.test(e.name)) return true;
  // A primary stepping down or an election under way: the replica set will answer again shortly.
  if (typeof e.codeName === 'string' && /^(NotWritablePrimary|NotPrimaryNoSecondaryOk|NotPrimaryOrSecondary|PrimarySteppedDown|InterruptedDueToReplStateChange|ShutdownInProgress)$/.test(e.codeName)) {
    return true;
  }
  return typeof e.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('TransientTransactionError'));
}
