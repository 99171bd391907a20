import type { Store } from './ports.js';

// Placeholder while the MongoDB adapter is being written; see test/store-contract.ts.
export async function openMongoStore(_uri: string): Promise<Store> {
  throw new Error('The MongoDB adapter is not written yet');
}
