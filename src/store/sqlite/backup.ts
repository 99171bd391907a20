import Database from 'better-sqlite3';
import { chmodSync, copyFileSync, existsSync, fsyncSync, openSync, closeSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** The embedded store's file in DATA_DIR (see openSqliteStore). */
export const STORE_FILE = 'hat.sqlite';

/**
 * A consistent copy of the embedded store, taken while servers keep writing to it: SQLite's
 * online backup API copies the pages of one snapshot (a write that lands meanwhile makes it
 * start again from a fresh one), so the copy is the store as it was at one moment — every batch
 * whole or absent. Written beside `target` first and renamed into place, so that a failed backup
 * never leaves a half-written file under the name asked for. Returns the size in bytes.
 */
export async function backupSqlite(dataDir: string, target: string): Promise<{ bytes: number; hats: number }> {
  const source = path.join(dataDir, STORE_FILE);
  if (!existsSync(source)) throw new Error(`there is no store at ${source}`);
  const db = new Database(source, { fileMustExist: true });
  const partial = `${target}.partial-${process.pid}`;
  try {
    db.pragma('busy_timeout = 5000');
    // All remaining pages in one step: in steps, every write landing between two of them would
    // start the copy again, and a busy server could keep it from ever finishing.
    await db.backup(partial, { progress: () => 0x7fffffff });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  try {
    const hats = checkStoreFile(partial);
    chmodSync(partial, 0o600);
    syncFile(partial);
    renameSync(partial, target);
    return { bytes: statSync(target).size, hats };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

/**
 * Puts a backup in place of the store of a stopped server. The current file, if any, is kept as
 * `hat.sqlite.before-restore-<time>`. Refuses when the store looks in use (its write-ahead log is
 * there: a server has it open, or one crashed — then `force`, after making sure none runs).
 */
export function restoreSqlite(dataDir: string, backup: string, options: { force?: boolean } = {}): { hats: number; keptAs: string | null } {
  const hats = checkStoreFile(backup);
  const current = path.join(dataDir, STORE_FILE);
  if (existsSync(`${current}-wal`) && !options.force) {
    throw new Error(
      `${current}-wal exists: a server has the store open (stop it first), or one stopped without closing it (then add --force)`,
    );
  }
  let keptAs: string | null = null;
  if (existsSync(current)) {
    keptAs = `${current}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(current, keptAs);
  }
  for (const suffix of ['-wal', '-shm']) rmSync(`${current}${suffix}`, { force: true });
  const partial = `${current}.restoring`;
  copyFileSync(backup, partial);
  chmodSync(partial, 0o600);
  syncFile(partial);
  renameSync(partial, current);
  return { hats, keptAs };
}

/** Refuses anything but an intact HAT store; answers how many HATs it holds. */
function checkStoreFile(file: string): number {
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new Error(`${file} is not an SQLite file: ${(err as Error).message}`);
  }
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`${file} is damaged: ${String(check)}`);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (!tables.includes('hats') || !tables.includes('keys')) throw new Error(`${file} is not a HAT store (no hats or keys table)`);
    return Number(db.prepare('SELECT count(*) FROM hats').pluck().get());
  } catch (err) {
    if (err instanceof Database.SqliteError) throw new Error(`${file} is not a readable HAT store: ${err.message}`);
    throw err;
  } finally {
    db.close();
  }
}

function syncFile(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
