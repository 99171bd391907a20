import Database from 'better-sqlite3';
import type { DataRecord, ReadOptions, RecordStore } from '../ports.js';
import { groupByNamespace } from '../sources.js';
import { date, type Row, type Sqlite } from './db.js';
import { translateUnique } from './errors.js';

export const RECORDS_SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  record_id TEXT NOT NULL UNIQUE,
  hat TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  json TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_endpoint ON records (hat, endpoint, seq);
`;

function recordFromRow(r: Row): DataRecord {
  return { recordId: String(r.record_id), endpoint: String(r.endpoint), json: String(r.json), createdAt: date(r.created_at) };
}

/** Thrown inside a transaction to roll it back: a record to update is not there. */
class MissingRecord extends Error {}

/** `a.b` → `$."a"."b"`; the service has already restricted the path to safe characters. */
function jsonPath(field: string): string {
  return '$' + field.split('.').map((part) => `."${part}"`).join('');
}

/** The `ORDER BY … LIMIT` text for a page of an endpoint. */
function readText(o: ReadOptions): string {
  const dir = o.ordering === 'descending' ? 'DESC' : 'ASC';
  // Missing and null values sort last in both directions, as the original did.
  return o.orderBy
    ? `SELECT * FROM (SELECT *, json_extract(json, @path) AS v FROM records WHERE hat = @hat AND endpoint = @endpoint)
       ORDER BY (v IS NULL), v ${dir}, seq ${dir} LIMIT @take OFFSET @skip`
    : `SELECT * FROM records WHERE hat = @hat AND endpoint = @endpoint ORDER BY seq ${dir} LIMIT @take OFFSET @skip`;
}

/** The data API's records (SPEC 8): opaque JSON text, in the order each endpoint received them. */
export function sqliteRecords(sql: Sqlite): RecordStore {
  const q = {
    insert: sql.db.prepare(
      'INSERT INTO records (record_id, hat, endpoint, json, created_at) VALUES (@recordId, @hat, @endpoint, @json, @createdAt)',
    ),
    clear: sql.db.prepare('DELETE FROM records WHERE hat = ? AND endpoint = ?'),
    // A skip-scan over records_by_endpoint: one index seek per endpoint, however many records each holds.
    sources: sql.db
      .prepare(
        `WITH RECURSIVE e(endpoint) AS (
           SELECT (SELECT min(endpoint) FROM records WHERE hat = @hat)
           UNION ALL
           SELECT (SELECT min(endpoint) FROM records WHERE hat = @hat AND endpoint > e.endpoint) FROM e WHERE e.endpoint IS NOT NULL
         ) SELECT endpoint FROM e WHERE endpoint IS NOT NULL`,
      )
      .pluck(),
  };
  const insert = sql.transaction((hat: string, records: DataRecord[]) => {
    for (const r of records) q.insert.run({ ...r, hat, createdAt: r.createdAt.getTime() });
  });
  const remove = sql.transaction((hat: string, ids: string[]) => {
    const placeholders = ids.map(() => '?').join(',');
    return sql.db.prepare(`DELETE FROM records WHERE hat = ? AND record_id IN (${placeholders})`).run(hat, ...ids).changes;
  });
  // All or nothing: one record that is not this HAT's undoes the others (SQLite rolls the
  // transaction back when the function throws).
  const updateRecord = sql.db.prepare('UPDATE records SET json = ? WHERE hat = ? AND record_id = ?');
  const update = sql.transaction((hat: string, changes: Array<{ recordId: string; json: string }>) => {
    for (const c of changes) if (updateRecord.run(c.json, hat, c.recordId).changes !== 1) throw new MissingRecord();
  });
  const readStatements = new Map<string, Database.Statement>();
  return {
    async insert(hat, records) {
      try {
        insert(hat, records);
      } catch (err) {
        translateUnique(err);
      }
    },
    async read(hat, endpoint, o) {
      const params = { hat, endpoint, take: o.take, skip: o.skip, ...(o.orderBy ? { path: jsonPath(o.orderBy) } : {}) };
      const text = readText(o);
      const run = (text: string) => {
        let stmt = readStatements.get(text);
        if (!stmt) readStatements.set(text, (stmt = sql.db.prepare(text)));
        return (stmt.all(params) as Row[]).map(recordFromRow);
      };
      try {
        return run(text);
      } catch (err) {
        // A record stored before SPEC 8's depth limit may be nested past what json_extract
        // reads ("malformed JSON"): then those records count as missing the field, rather
        // than every ordered read of the endpoint failing. Only then is each record checked.
        if (!(o.orderBy && err instanceof Database.SqliteError && /malformed JSON/.test(err.message))) throw err;
        return run(text.replace('json_extract(json, @path)', 'CASE WHEN json_valid(json) THEN json_extract(json, @path) END'));
      }
    },
    async clear(hat, endpoint) {
      return q.clear.run(hat, endpoint).changes;
    },
    async get(hat, recordIds) {
      if (recordIds.length === 0) return [];
      const placeholders = recordIds.map(() => '?').join(',');
      const rows = sql.db
        .prepare(`SELECT * FROM records WHERE hat = ? AND record_id IN (${placeholders}) ORDER BY seq`)
        .all(hat, ...recordIds) as Row[];
      return rows.map(recordFromRow);
    },
    async remove(hat, recordIds) {
      if (recordIds.length === 0) return 0;
      return remove(hat, recordIds);
    },
    async update(hat, changes) {
      try {
        update(hat, changes);
        return true;
      } catch (err) {
        if (err instanceof MissingRecord) return false;
        throw err;
      }
    },
    async sources(hat) {
      return groupByNamespace(q.sources.all({ hat }) as string[]);
    },
  };
}
