import { answeringOrUnavailable } from '../guard.js';
import type { Store } from '../ports.js';
import { ACTIVITY_SCHEMA, sqliteActivity } from './activity.js';
import { APPLICATIONS_SCHEMA, sqliteApplications } from './applications.js';
import { APPROVALS_SCHEMA, sqliteApprovals } from './approvals.js';
import { ATTEMPTS_SCHEMA, sqliteAttempts } from './attempts.js';
import { openDatabase } from './db.js';
import { sqliteUnavailable } from './errors.js';
import { GRANTS_SCHEMA, sqliteGrants } from './grants.js';
import { sqliteHatAdmin } from './hat-admin.js';
import { HATS_SCHEMA, revisionBump, sqliteHats } from './hats.js';
import { sqliteKeyRotation } from './key-rotation.js';
import { KEYS_SCHEMA, sqliteKeys } from './keys.js';
import { sqliteOidc } from './oidc.js';
import { sqliteOnce } from './once.js';
import { RECORDS_SCHEMA, sqliteRecords } from './records.js';
import { sqliteResets } from './resets.js';
import { SESSIONS_SCHEMA, sqliteSessions } from './sessions.js';

/**
 * The embedded default store: one SQLite file in DATA_DIR (see db.ts), one module per aggregate,
 * each owning its tables. A write that spans two tables (a HAT and its first key; a grant,
 * approval or key and the HAT's revision) runs in one transaction inside the aggregate that makes it.
 */
export function openSqliteStore(dataDir: string, file = 'hat.sqlite'): Store {
  const sql = openDatabase(dataDir, file, [
    HATS_SCHEMA,
    KEYS_SCHEMA,
    SESSIONS_SCHEMA,
    ACTIVITY_SCHEMA,
    APPLICATIONS_SCHEMA,
    GRANTS_SCHEMA,
    APPROVALS_SCHEMA,
    RECORDS_SCHEMA,
    ATTEMPTS_SCHEMA,
  ]);
  const bump = revisionBump(sql);
  const store: Store = {
    kind: 'sqlite',
    oidc: sqliteOidc(sql.db),
    hats: sqliteHats(sql),
    keys: sqliteKeys(sql, bump),
    sessions: sqliteSessions(sql),
    activity: sqliteActivity(sql),
    applications: sqliteApplications(sql),
    grants: sqliteGrants(sql, bump),
    approvals: sqliteApprovals(sql, bump),
    records: sqliteRecords(sql),
    once: sqliteOnce(sql.db),
    resets: sqliteResets(sql.db, bump),
    keyRotation: sqliteKeyRotation(sql.db, bump),
    hatAdmin: sqliteHatAdmin(sql.db),
    attempts: sqliteAttempts(sql),
    async ping() {
      sql.db.prepare('SELECT 1').get();
    },
    async close() {
      sql.close();
    },
  };
  return answeringOrUnavailable(store, sqliteUnavailable);
}
