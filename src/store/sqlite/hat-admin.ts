import type Database from 'better-sqlite3';
import type { HatAdminStore, HatCounts } from '../ports.js';

/** Names of deleted HATs, kept from sign-up until `until` (SPEC 9: reserved for 30 days). */
export const HAT_ADMIN_SCHEMA = `
CREATE TABLE IF NOT EXISTS reserved_names (
  name TEXT PRIMARY KEY,
  until INTEGER NOT NULL
);
`;

/**
 * The operator's listing and deletion of HATs in the embedded store. Deletion empties every table
 * that has a `hat` column, found in the schema when it runs: a record type added later (by
 * anyone) that names its HAT that way goes with the HAT, with no list here to keep up to date.
 */
export function sqliteHatAdmin(db: Database.Database): HatAdminStore {
  db.exec(HAT_ADMIN_SCHEMA);
  const q = {
    names: db.prepare('SELECT name FROM hats ORDER BY name LIMIT ? OFFSET ?').pluck(),
    count: (table: string) => db.prepare(`SELECT count(*) FROM ${table} WHERE hat = ?`).pluck(),
    deleteHat: db.prepare('DELETE FROM hats WHERE name = ?'),
    reserve: db.prepare(
      'INSERT INTO reserved_names (name, until) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET until = max(until, excluded.until)',
    ),
    reserved: db.prepare('SELECT until FROM reserved_names WHERE name = ? AND until > ?').pluck(),
  };
  const counts = {
    records: q.count('records'),
    grants: q.count('grants'),
    approvals: q.count('approvals'),
    sessions: q.count('sessions'),
    activity: q.count('activity'),
  };
  const hatTables = (): string[] =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[]).filter(
      (table) => table !== 'hats' && (db.pragma(`table_info("${table}")`) as Array<{ name: string }>).some((c) => c.name === 'hat'),
    );
  const exists = db.prepare('SELECT 1 FROM hats WHERE name = ?').pluck();
  const removeHeld = (hat: string) => {
    for (const table of hatTables()) db.prepare(`DELETE FROM "${table}" WHERE hat = ?`).run(hat);
  };
  const remove = db.transaction((hat: string, until: number): boolean => {
    if (!exists.get(hat)) return false;
    removeHeld(hat);
    q.deleteHat.run(hat);
    q.reserve.run(hat, until);
    return true;
  });
  const clearLeftovers = db.transaction((hat: string) => {
    if (!exists.get(hat)) removeHeld(hat);
  });
  return {
    async names({ skip, take }) {
      return q.names.all(take, skip) as string[];
    },
    async counts(hat) {
      return Object.fromEntries(Object.entries(counts).map(([k, stmt]) => [k, Number(stmt.get(hat))])) as unknown as HatCounts;
    },
    async remove(hat, reservedUntil) {
      return remove.immediate(hat, reservedUntil.getTime());
    },
    async clearLeftovers(hat) {
      clearLeftovers.immediate(hat);
    },
    async reservedUntil(name) {
      const until = q.reserved.get(name, Date.now()) as number | undefined;
      return until === undefined ? null : new Date(until);
    },
  };
}
