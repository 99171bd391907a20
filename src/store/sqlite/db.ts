import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { privateDir, privateFile } from '../../private-files.js';

/**
 * The SQLite file every aggregate of the embedded store writes to: opened once, in WAL mode with
 * full syncs, so that what was acknowledged survives a crash of the process or of the machine.
 * better-sqlite3 is synchronous: indexed calls take microseconds; ordering by a data field and
 * clearing a large endpoint scan it, and hold the event loop for as long (tens of milliseconds
 * per 100,000 records).
 */
export interface Sqlite {
  readonly db: Database.Database;
  /** `fn` as one transaction: every statement it runs commits, or none does. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** A clean-up (expired sessions, counters) run now and then rather than on every read. */
  sweep(task: (now: number) => void): void;
  close(): void;
}

export type Row = Record<string, unknown>;

/** Bumps a HAT's revision inside the caller's transaction (see hats.ts); false when there is no such HAT. */
export type BumpRevision = (hat: string) => boolean;

export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/** Opens (or creates) the file and makes each aggregate's tables: `schemas` are CREATE … IF NOT EXISTS. */
export function openDatabase(dataDir: string, file: string, schemas: readonly string[]): Sqlite {
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
  for (const schema of schemas) db.exec(schema);

  const tasks: Array<(now: number) => void> = [];
  const timer = setInterval(() => {
    const now = Date.now();
    for (const task of tasks) {
      // A sweep that fails (the file is busy or full) waits for the next one: it must not end the process.
      try {
        task(now);
      } catch {
        // the next sweep tries again
      }
    }
  }, SWEEP_INTERVAL_MS);
  timer.unref();

  return {
    db,
    transaction: (fn) => db.transaction(fn),
    sweep: (task) => void tasks.push(task),
    close() {
      clearInterval(timer);
      db.close();
    },
  };
}

export const date = (ms: unknown): Date => new Date(Number(ms));
export const maybeDate = (ms: unknown): Date | null => (ms === null || ms === undefined ? null : new Date(Number(ms)));
