import type { Config } from '../config.js';
import type { Store } from './ports.js';
import { openSqliteStore } from './sqlite/index.js';

export type { Store } from './ports.js';

/** MongoDB when MONGODB_URI is set (several processes can share it), else the embedded SQLite file. */
export async function openStore(config: Pick<Config, 'mongodbUri' | 'dataDir'>): Promise<Store> {
  if (config.mongodbUri) {
    const { openMongoStore } = await import('./mongo/index.js');
    return openMongoStore(config.mongodbUri);
  }
  return openSqliteStore(config.dataDir);
}
