import type Database from 'better-sqlite3';
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

/** `a.b` → `$."a"."b"`; the service has already restricted the path to safe characters. */
function jsonPath(field: string): string {
  return '$' + field.split('.').map((part) => `."${part}"`).join('');
}

/** The `ORDER BY … LIMIT` statement for a page of an endpoint, prepared once per shape. */
function readStatement(sql: Sqlite, cache: Map<string, Database.Statement>, o: ReadOptions): Database.Statement {
  const dir = o.ordering === 'descending' ? 'DESC' : 'ASC';
  // Missing and null values sort last in both directions, as the original did.
  const text = o.orderBy
    ? `SELECT * FROM (SELECT *, json_extract(json, @path) AS v FROM records WHERE hat = @hat AND endpoint = @endpoint)
       ORDER BY (v IS NULL), v ${dir}, seq ${dir} LIMIT @take OFFSET @skip`
    : `SELECT * FROM records WHERE hat = @hat AND endpoint = @endpoint ORDER BY seq ${dir} LIMIT @take OFFSET @skip`;
  let stmt = cache.get(text);
  if (!stmt) cache.set(text, (stmt = sql.db.prepare(text)));
  return stmt;
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
      return (readStatement(sql, readStatements, o).all(params) as Row[]).map(recordFromRow);
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
    async sources(hat) {
      return groupByNamespace(q.sources.all({ hat }) as string[]);
    },
  };
}
