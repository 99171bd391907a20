import { ConfigError, loadConfig } from '../config.js';
import { backupSqlite, restoreSqlite } from '../store/sqlite/backup.js';

/*
 * Backups of the embedded store (SPEC 10):
 *
 *   npm run backup -- <file>              a consistent copy, taken while the server runs
 *   npm run restore -- <file> [--force]   put one back, with the server stopped
 *
 * Both read DATA_DIR like the server. The copy holds private keys encrypted under
 * KEY_ENCRYPTION_SECRET, which is not in it: keep that secret (DATA_DIR/secrets.json in
 * development) safe and apart. With MONGODB_URI, use mongodump / mongorestore (README).
 * Exit codes: 0 done, 1 failed, 2 usage.
 */

const USAGE = `usage: npm run backup -- <file>              copy the embedded store while the server runs
       npm run restore -- <file> [--force]   replace the store of a stopped server with a backup`;

function main(): Promise<number> | number {
  const [command, ...args] = process.argv.slice(2);
  const force = args.includes('--force');
  const files = args.filter((a) => a !== '--force');
  if ((command !== 'backup' && command !== 'restore') || files.length !== 1 || (force && command === 'backup')) {
    console.error(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    console.error(`${command}: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
  if (config.mongodbUri) {
    console.error(`${command}: MONGODB_URI is set; back MongoDB up with mongodump / mongorestore (see the README)`);
    return 1;
  }
  const file = files[0]!;
  return (async () => {
    try {
      if (command === 'backup') {
        const { bytes, hats } = await backupSqlite(config.dataDir, file);
        console.log(`Backed up ${hats} HAT${hats === 1 ? '' : 's'} (${bytes} bytes) to ${file}.`);
        console.error('backup: the private keys in it need KEY_ENCRYPTION_SECRET, which it does not hold: keep that secret safe, apart.');
      } else {
        const { hats, keptAs } = restoreSqlite(config.dataDir, file, { force });
        console.log(`Restored ${hats} HAT${hats === 1 ? '' : 's'} from ${file}.${keptAs ? ` The store it replaced is kept as ${keptAs}.` : ''}`);
      }
      return 0;
    } catch (err) {
      console.error(`${command}: ${(err as Error).message}`);
      return 1;
    }
  })();
}

process.exitCode = await main();
