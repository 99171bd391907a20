import { answeringOrUnavailable } from './guard.js';
import { groupByNamespace } from './sources.js';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { privateDir, privateFile } from '../private-files.js';
import path from 'node:path';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { attemptCounters } from './attempts.js';
import { sqliteResets } from './sqlite/resets.js';
import { sqliteOnce } from './sqlite/once.js';
import { sqliteOidc } from './sqlite/oidc.js';
import { sqliteHatAdmin } from './sqlite/hat-admin.js';
import { sqliteKeyRotation } from './sqlite/key-rotation.js';
import { UniqueViolation } from '../errors.js';
import type {
  ActivityEntry,
  ApplicationRecord,
  ApprovalRecord,
  DataRecord,
  GrantRecord,
  HatRecord,
  KeyRecord,
  Permission,
  ReadOptions,
  SessionRecord,
  Store,
} from './ports.js';

/**
 * The embedded default: one SQLite file in DATA_DIR, in WAL mode with full syncs, so that what
 * was acknowledged survives a crash of the process or of the machine. better-sqlite3 is
 * synchronous: indexed calls take microseconds; ordering by a data field and clearing a large
 * endpoint scan it, and hold the event loop for as long (tens of milliseconds per 100,000 records).
 */

const SCHEMA = `
CREATE TABLE IF NOT EXISTS hats (
  name TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL UNIQUE,
  full_name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  tokens_not_before INTEGER NOT NULL,
  revision INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
  kid TEXT PRIMARY KEY,
  hat TEXT NOT NULL REFERENCES hats(name) ON DELETE CASCADE,
  public_pem TEXT NOT NULL,
  private_key_enc TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS keys_by_hat ON keys (hat, created_at);
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY,
  hat TEXT NOT NULL,
  data TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_hat ON sessions (hat);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at);
CREATE TABLE IF NOT EXISTS activity (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  hat TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  via TEXT NOT NULL,
  service TEXT,
  redirect_host TEXT,
  client_ip TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS activity_by_hat ON activity (hat, seq);
CREATE TABLE IF NOT EXISTS applications (
  id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  hat TEXT NOT NULL,
  application_id TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  permissions TEXT NOT NULL,
  version TEXT NOT NULL,
  tokens_not_before INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_used_at INTEGER,
  PRIMARY KEY (hat, application_id)
);
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  hat TEXT NOT NULL,
  name TEXT NOT NULL,
  origin TEXT NOT NULL,
  tokens_not_before INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  UNIQUE (hat, name, origin)
);
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id TEXT NOT NULL UNIQUE,
  hat TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_endpoint ON records (hat, endpoint, seq);
-- rate-limiter-flexible's own table, made here because the library makes it asynchronously and
-- refuses to count until then (a counter used at once would fail "Table is not created yet").
CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER);
`;

type Row = Record<string, unknown>;

const date = (ms: unknown): Date => new Date(Number(ms));
const maybeDate = (ms: unknown): Date | null => (ms === null || ms === undefined ? null : new Date(Number(ms)));

function hatFromRow(r: Row): HatRecord {
  return {
    name: String(r.name),
    ownerId: String(r.owner_id),
    email: String(r.email),
    fullName: String(r.full_name),
    passwordHash: String(r.password_hash),
    disabled: r.disabled === 1,
    tokensNotBefore: Number(r.tokens_not_before),
    revision: Number(r.revision),
    createdAt: date(r.created_at),
  };
}

function keyFromRow(r: Row): KeyRecord {
  return {
    kid: String(r.kid),
    hat: String(r.hat),
    publicPem: String(r.public_pem),
    privateKeyEnc: String(r.private_key_enc),
    createdAt: date(r.created_at),
  };
}

function activityFromRow(r: Row): ActivityEntry {
  const entry: ActivityEntry = {
    id: String(r.id),
    hat: String(r.hat),
    at: date(r.at),
    type: r.type as ActivityEntry['type'],
    via: String(r.via),
  };
  if (r.service !== null) entry.service = String(r.service);
  if (r.redirect_host !== null) entry.redirectHost = String(r.redirect_host);
  if (r.client_ip !== null) entry.clientIp = String(r.client_ip);
  if (r.detail !== null) entry.detail = String(r.detail);
  return entry;
}

/** Thrown inside a transaction to roll it back: a record to update is not there. */
class MissingRecord extends Error {}

function applicationFromRow(r: Row): ApplicationRecord {
  const body = JSON.parse(String(r.body)) as Omit<ApplicationRecord, 'createdAt'>;
  return { ...body, createdAt: date(r.created_at) };
}

function grantFromRow(r: Row): GrantRecord {
  return {
    hat: String(r.hat),
    applicationId: String(r.application_id),
    enabled: r.enabled === 1,
    permissions: JSON.parse(String(r.permissions)) as Permission[],
    version: String(r.version),
    tokensNotBefore: Number(r.tokens_not_before),
    updatedAt: date(r.updated_at),
    lastUsedAt: maybeDate(r.last_used_at),
  };
}

function approvalFromRow(r: Row): ApprovalRecord {
  return {
    id: String(r.id),
    hat: String(r.hat),
    name: String(r.name),
    origin: String(r.origin),
    tokensNotBefore: Number(r.tokens_not_before),
    createdAt: date(r.created_at),
    lastUsedAt: maybeDate(r.last_used_at),
  };
}

function recordFromRow(r: Row): DataRecord {
  return { recordId: String(r.record_id), endpoint: String(r.endpoint), json: String(r.json), createdAt: date(r.created_at) };
}

/** `UNIQUE constraint failed: hats.email` → UniqueViolation('email'). */
function translateUnique(err: unknown): never {
  if (err instanceof Database.SqliteError && /^SQLITE_CONSTRAINT_(UNIQUE|PRIMARYKEY)$/.test(err.code)) {
    const column = /UNIQUE constraint failed: \w+\.(\w+)/.exec(err.message)?.[1] ?? 'id';
    // The port's field names: owner_id → ownerId, record_id → recordId.
    throw new UniqueViolation(column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
  }
  throw err;
}

/** `a.b` → `$."a"."b"`; the service has already restricted the path to safe characters. */
function jsonPath(field: string): string {
  return '$' + field.split('.').map((part) => `."${part}"`).join('');
}

export function openSqliteStore(dataDir: string, file = 'hat.sqlite'): Store {
  // SPEC 10: the folder 0700, the database 0600; SQLite gives its -wal and -shm files the
  // database file's mode, and existing ones are tightened here as well.
  privateDir(dataDir);
  const dbFile = path.join(dataDir, file);
  for (const f of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) if (f === dbFile || existsSync(f)) privateFile(f);
  const db = new Database(dbFile);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const q = {
    insertHat: db.prepare(
      `INSERT INTO hats (name, owner_id, email, full_name, password_hash, disabled, tokens_not_before, revision, created_at)
       VALUES (@name, @ownerId, @email, @fullName, @passwordHash, @disabled, @tokensNotBefore, @revision, @createdAt)`,
    ),
    insertKey: db.prepare(
      `INSERT INTO keys (kid, hat, public_pem, private_key_enc, created_at) VALUES (@kid, @hat, @publicPem, @privateKeyEnc, @createdAt)`,
    ),
    findHat: db.prepare('SELECT * FROM hats WHERE name = ?'),
    findHatByEmail: db.prepare('SELECT * FROM hats WHERE email = ?'),
    hatRevision: db.prepare('SELECT revision FROM hats WHERE name = ?').pluck(),
    bump: db.prepare('UPDATE hats SET revision = revision + 1 WHERE name = ?'),
    // Stamps never go backwards (SPEC 10): max() keeps a later stamp a concurrent writer set.
    setPassword: db.prepare(
      'UPDATE hats SET password_hash = ?, tokens_not_before = max(tokens_not_before, ?), revision = revision + 1 WHERE name = ?',
    ),
    endGrantTokens: db.prepare('UPDATE grants SET tokens_not_before = max(tokens_not_before, ?) WHERE hat = ?'),
    endApprovalTokens: db.prepare('UPDATE approvals SET tokens_not_before = max(tokens_not_before, ?) WHERE hat = ?'),
    replaceHash: db.prepare('UPDATE hats SET password_hash = ? WHERE name = ? AND password_hash = ?'),
    setDisabled: db.prepare('UPDATE hats SET disabled = ?, revision = revision + 1 WHERE name = ?'),
    countHats: db.prepare('SELECT count(*) FROM hats').pluck(),
    listKeys: db.prepare('SELECT * FROM keys WHERE hat = ? ORDER BY created_at DESC, rowid DESC'),
    getSession: db.prepare('SELECT * FROM sessions WHERE id = ? AND expires_at > ?'),
    putSession: db.prepare(
      `INSERT INTO sessions (id, hat, data, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET hat = excluded.hat, data = excluded.data, expires_at = excluded.expires_at`,
    ),
    destroySession: db.prepare('DELETE FROM sessions WHERE id = ?'),
    destroyHatSessions: db.prepare('DELETE FROM sessions WHERE hat = ?'),
    expireAttempts: db.prepare('DELETE FROM attempts WHERE expire IS NOT NULL AND expire <= ?'),
    expireSessions: db.prepare('DELETE FROM sessions WHERE expires_at <= ?'),
    appendActivity: db.prepare(
      `INSERT INTO activity (id, hat, at, type, via, service, redirect_host, client_ip, detail)
       VALUES (@id, @hat, @at, @type, @via, @service, @redirectHost, @clientIp, @detail)`,
    ),
    listActivity: db.prepare('SELECT * FROM activity WHERE hat = ? ORDER BY seq DESC LIMIT ? OFFSET ?'),
    countActivity: db.prepare('SELECT count(*) FROM activity WHERE hat = ?').pluck(),
    insertApp: db.prepare('INSERT INTO applications (id, body, created_at) VALUES (?, ?, ?)'),
    updateApp: db.prepare('UPDATE applications SET body = ? WHERE id = ?'),
    getApp: db.prepare('SELECT * FROM applications WHERE id = ?'),
    listApps: db.prepare('SELECT * FROM applications ORDER BY id'),
    removeApp: db.prepare('DELETE FROM applications WHERE id = ?'),
    getGrant: db.prepare('SELECT * FROM grants WHERE hat = ? AND application_id = ?'),
    listGrants: db.prepare('SELECT * FROM grants WHERE hat = ? ORDER BY application_id'),
    putGrant: db.prepare(
      `INSERT INTO grants (hat, application_id, enabled, permissions, version, tokens_not_before, updated_at, last_used_at)
       VALUES (@hat, @applicationId, @enabled, @permissions, @version, @tokensNotBefore, @updatedAt, @lastUsedAt)
       ON CONFLICT(hat, application_id) DO UPDATE SET enabled = excluded.enabled, permissions = excluded.permissions,
         version = excluded.version, tokens_not_before = max(grants.tokens_not_before, excluded.tokens_not_before),
         updated_at = excluded.updated_at,
         last_used_at = excluded.last_used_at`,
    ),
    grantHatsOf: db.prepare('SELECT hat FROM grants WHERE application_id = ?').pluck(),
    removeGrantsOf: db.prepare('DELETE FROM grants WHERE application_id = ?'),
    touchGrant: db.prepare('UPDATE grants SET last_used_at = ? WHERE hat = ? AND application_id = ?'),
    findApproval: db.prepare('SELECT * FROM approvals WHERE hat = ? AND name = ? AND origin = ?'),
    getApproval: db.prepare('SELECT * FROM approvals WHERE hat = ? AND id = ?'),
    listApprovals: db.prepare('SELECT * FROM approvals WHERE hat = ? ORDER BY created_at DESC'),
    putApproval: db.prepare(
      `INSERT INTO approvals (id, hat, name, origin, tokens_not_before, created_at, last_used_at)
       VALUES (@id, @hat, @name, @origin, @tokensNotBefore, @createdAt, @lastUsedAt)
       ON CONFLICT(hat, name, origin) DO UPDATE SET tokens_not_before = max(approvals.tokens_not_before, excluded.tokens_not_before),
         created_at = excluded.created_at, last_used_at = excluded.last_used_at`,
    ),
    removeApproval: db.prepare('DELETE FROM approvals WHERE hat = ? AND id = ?'),
    touchApproval: db.prepare('UPDATE approvals SET last_used_at = ? WHERE hat = ? AND id = ?'),
    insertRecord: db.prepare(
      'INSERT INTO records (record_id, hat, endpoint, json, created_at) VALUES (@recordId, @hat, @endpoint, @json, @createdAt)',
    ),
    clearEndpoint: db.prepare('DELETE FROM records WHERE hat = ? AND endpoint = ?'),
    // A skip-scan over records_by_endpoint: one index seek per endpoint, however many records each holds.
    sources: db
      .prepare(
        `WITH RECURSIVE e(endpoint) AS (
           SELECT (SELECT min(endpoint) FROM records WHERE hat = @hat)
           UNION ALL
           SELECT (SELECT min(endpoint) FROM records WHERE hat = @hat AND endpoint > e.endpoint) FROM e WHERE e.endpoint IS NOT NULL
         ) SELECT endpoint FROM e WHERE endpoint IS NOT NULL`,
      )
      .pluck(),
  };

  const tx = <A extends unknown[], R>(fn: (...args: A) => R) => db.transaction(fn);
  const createHat = tx((hat: HatRecord, key: KeyRecord) => {
    q.insertHat.run({
      ...hat,
      disabled: hat.disabled ? 1 : 0,
      createdAt: hat.createdAt.getTime(),
    });
    q.insertKey.run({ ...key, createdAt: key.createdAt.getTime() });
  });
  const addKey = tx((key: KeyRecord) => {
    q.insertKey.run({ ...key, createdAt: key.createdAt.getTime() });
    q.bump.run(key.hat);
  });
  const setPassword = tx((name: string, hash: string, notBefore: number, endServiceTokens: boolean) => {
    q.setPassword.run(hash, notBefore, name);
    if (!endServiceTokens) return;
    q.endGrantTokens.run(notBefore, name);
    q.endApprovalTokens.run(notBefore, name);
  });
  const putGrant = tx((g: GrantRecord) => {
    q.putGrant.run({
      ...g,
      enabled: g.enabled ? 1 : 0,
      permissions: JSON.stringify(g.permissions),
      updatedAt: g.updatedAt.getTime(),
      lastUsedAt: g.lastUsedAt?.getTime() ?? null,
    });
    q.bump.run(g.hat);
  });
  const removeGrantsOf = tx((applicationId: string) => {
    const hats = q.grantHatsOf.all(applicationId) as string[];
    for (const hat of hats) q.bump.run(hat);
    return q.removeGrantsOf.run(applicationId).changes;
  });
  const putApproval = tx((a: ApprovalRecord) => {
    q.putApproval.run({ ...a, createdAt: a.createdAt.getTime(), lastUsedAt: a.lastUsedAt?.getTime() ?? null });
    q.bump.run(a.hat);
  });
  const removeApproval = tx((hat: string, id: string) => {
    const removed = q.removeApproval.run(hat, id).changes > 0;
    if (removed) q.bump.run(hat);
    return removed;
  });
  const insertRecords = tx((hat: string, records: DataRecord[]) => {
    for (const r of records) q.insertRecord.run({ ...r, hat, createdAt: r.createdAt.getTime() });
  });
  const removeRecords = tx((hat: string, ids: string[]) => {
    const placeholders = ids.map(() => '?').join(',');
    return db.prepare(`DELETE FROM records WHERE hat = ? AND record_id IN (${placeholders})`).run(hat, ...ids).changes;
  });

  // All or nothing: one record that is not this HAT's undoes the others (SQLite rolls the
  // transaction back when the function throws).
  const updateRecord = db.prepare('UPDATE records SET json = ? WHERE hat = ? AND record_id = ?');
  const updateRecords = tx((hat: string, changes: Array<{ recordId: string; json: string }>) => {
    for (const c of changes) if (updateRecord.run(c.json, hat, c.recordId).changes !== 1) throw new MissingRecord();
  });

  const readStatements = new Map<string, Database.Statement>();

  // Expired sessions and attempt counters are swept now and then rather than on every read. A
  // sweep that fails (the file is busy or full) waits for the next one: it must not end the process.
  const sweep = setInterval(() => {
    try {
      const now = Date.now();
      q.expireSessions.run(now);
      q.expireAttempts.run(now);
    } catch {
      // the next sweep tries again
    }
  }, 10 * 60 * 1000);
  sweep.unref();

  const store: Store = {
    kind: 'sqlite',
    oidc: sqliteOidc(db),
    hats: {
      async create(hat, key) {
        try {
          createHat(hat, key);
        } catch (err) {
          translateUnique(err);
        }
      },
      async find(name) {
        const row = q.findHat.get(name) as Row | undefined;
        return row ? hatFromRow(row) : null;
      },
      async findByEmail(email) {
        const row = q.findHatByEmail.get(email) as Row | undefined;
        return row ? hatFromRow(row) : null;
      },
      async revision(name) {
        const rev = q.hatRevision.get(name) as number | undefined;
        return rev ?? null;
      },
      async setPassword(name, passwordHash, tokensNotBefore, endServiceTokens = false) {
        setPassword(name, passwordHash, tokensNotBefore, endServiceTokens);
      },
      async replacePasswordHash(name, expected, passwordHash) {
        return q.replaceHash.run(passwordHash, name, expected).changes > 0;
      },
      async setDisabled(name, disabled) {
        q.setDisabled.run(disabled ? 1 : 0, name);
      },
      async count() {
        return Number(q.countHats.get());
      },
    },
    keys: {
      async list(hat) {
        return (q.listKeys.all(hat) as Row[]).map(keyFromRow);
      },
      async add(key) {
        try {
          addKey(key);
        } catch (err) {
          translateUnique(err);
        }
      },
    },
    sessions: {
      async get(id) {
        const row = q.getSession.get(id, Date.now()) as Row | undefined;
        if (!row) return null;
        return {
          id: String(row.id),
          hat: String(row.hat),
          data: JSON.parse(String(row.data)) as Record<string, unknown>,
          expiresAt: date(row.expires_at),
        } satisfies SessionRecord;
      },
      async set(s) {
        q.putSession.run(s.id, s.hat, JSON.stringify(s.data), s.expiresAt.getTime());
      },
      async destroy(id) {
        q.destroySession.run(id);
      },
      async destroyForHat(hat) {
        return q.destroyHatSessions.run(hat).changes;
      },
    },
    activity: {
      async append(e) {
        q.appendActivity.run({
          id: e.id,
          hat: e.hat,
          at: e.at.getTime(),
          type: e.type,
          via: e.via,
          service: e.service ?? null,
          redirectHost: e.redirectHost ?? null,
          clientIp: e.clientIp ?? null,
          detail: e.detail ?? null,
        });
      },
      async list(hat, { skip, take }) {
        return (q.listActivity.all(hat, take, skip) as Row[]).map(activityFromRow);
      },
      async count(hat) {
        return Number(q.countActivity.get(hat));
      },
    },
    applications: {
      async create(app) {
        const { createdAt, ...body } = app;
        try {
          q.insertApp.run(app.id, JSON.stringify(body), createdAt.getTime());
        } catch (err) {
          translateUnique(err);
        }
      },
      async update(app) {
        const { createdAt: _ignored, ...body } = app;
        return q.updateApp.run(JSON.stringify(body), app.id).changes > 0;
      },
      async get(id) {
        const row = q.getApp.get(id) as Row | undefined;
        return row ? applicationFromRow(row) : null;
      },
      async list() {
        return (q.listApps.all() as Row[]).map(applicationFromRow);
      },
      async remove(id) {
        return q.removeApp.run(id).changes > 0;
      },
    },
    grants: {
      async get(hat, applicationId) {
        const row = q.getGrant.get(hat, applicationId) as Row | undefined;
        return row ? grantFromRow(row) : null;
      },
      async list(hat) {
        return (q.listGrants.all(hat) as Row[]).map(grantFromRow);
      },
      async put(grant) {
        putGrant(grant);
      },
      async touch(hat, applicationId, at) {
        q.touchGrant.run(at.getTime(), hat, applicationId);
      },
      async removeForApplication(applicationId) {
        return removeGrantsOf(applicationId);
      },
    },
    approvals: {
      async find(hat, name, origin) {
        const row = q.findApproval.get(hat, name, origin) as Row | undefined;
        return row ? approvalFromRow(row) : null;
      },
      async get(hat, id) {
        const row = q.getApproval.get(hat, id) as Row | undefined;
        return row ? approvalFromRow(row) : null;
      },
      async list(hat) {
        return (q.listApprovals.all(hat) as Row[]).map(approvalFromRow);
      },
      async put(approval) {
        putApproval(approval);
      },
      async remove(hat, id) {
        return removeApproval(hat, id);
      },
      async touch(hat, id, at) {
        q.touchApproval.run(at.getTime(), hat, id);
      },
    },
    records: {
      async insert(hat, records) {
        try {
          insertRecords(hat, records);
        } catch (err) {
          translateUnique(err);
        }
      },
      async read(hat, endpoint, o: ReadOptions) {
        const dir = o.ordering === 'descending' ? 'DESC' : 'ASC';
        // Missing and null values sort last in both directions, as the original did.
        const sql = o.orderBy
          ? `SELECT * FROM (SELECT *, json_extract(json, @path) AS v FROM records WHERE hat = @hat AND endpoint = @endpoint)
             ORDER BY (v IS NULL), v ${dir}, seq ${dir} LIMIT @take OFFSET @skip`
          : `SELECT * FROM records WHERE hat = @hat AND endpoint = @endpoint ORDER BY seq ${dir} LIMIT @take OFFSET @skip`;
        const params = { hat, endpoint, take: o.take, skip: o.skip, ...(o.orderBy ? { path: jsonPath(o.orderBy) } : {}) };
        const run = (text: string) => {
          let stmt = readStatements.get(text);
          if (!stmt) readStatements.set(text, (stmt = db.prepare(text)));
          return (stmt.all(params) as Row[]).map(recordFromRow);
        };
        try {
          return run(sql);
        } catch (err) {
          // A record stored before SPEC 8's depth limit may be nested past what json_extract
          // reads ("malformed JSON"): then those records count as missing the field, rather
          // than every ordered read of the endpoint failing. Only then is each record checked.
          if (!(o.orderBy && err instanceof Database.SqliteError && /malformed JSON/.test(err.message))) throw err;
          return run(sql.replace('json_extract(json, @path)', 'CASE WHEN json_valid(json) THEN json_extract(json, @path) END'));
        }
      },
      async clear(hat, endpoint) {
        return q.clearEndpoint.run(hat, endpoint).changes;
      },
      async get(hat, recordIds) {
        if (recordIds.length === 0) return [];
        const placeholders = recordIds.map(() => '?').join(',');
        const rows = db
          .prepare(`SELECT * FROM records WHERE hat = ? AND record_id IN (${placeholders}) ORDER BY seq`)
          .all(hat, ...recordIds) as Row[];
        return rows.map(recordFromRow);
      },
      async remove(hat, recordIds) {
        if (recordIds.length === 0) return 0;
        return removeRecords(hat, recordIds);
      },
      async update(hat, changes) {
        try {
          updateRecords(hat, changes);
          return true;
        } catch (err) {
          if (err instanceof MissingRecord) return false;
          throw err;
        }
      },
      async sources(hat) {
        return groupByNamespace(q.sources.all({ hat }) as string[]);
      },
    },
    resets: sqliteResets(db),
    once: sqliteOnce(db),
    keyRotation: sqliteKeyRotation(db),
    hatAdmin: sqliteHatAdmin(db),
    attempts: attemptCounters(
      (name, windowSeconds, limit) =>
        new RateLimiterSQLite({
          storeClient: db,
          storeType: 'better-sqlite3',
          tableName: 'attempts',
          keyPrefix: name,
          points: limit,
          duration: windowSeconds,
          tableCreated: true,
        }),
    ),
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      clearInterval(sweep);
      db.close();
    },
  };
  return answeringOrUnavailable(store, sqliteUnavailable);
}

/** SQLite errors that mean the file cannot be used now (locked, full, unreadable, closed). */
function sqliteUnavailable(err: unknown): boolean {
  if (err instanceof Database.SqliteError) {
    return /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|NOTADB)/.test(err.code);
  }
  return err instanceof TypeError && /database connection is not open/.test(err.message);
}
