/**
 * The data API's benchmark (issue: applications, permissions and the data API). It measures the
 * service layer over the embedded store, without HTTP: DataService.write/read with an owner
 * principal (validation, the permission check, JSON text handling and the SQLite adapter, with
 * its WAL and full syncs on every commit), and renderRecords for the response text of a read.
 *
 * 1. writes 100,000 records into one endpoint in batches of 100 (one transaction each);
 * 2. reads 100 records with take/skip at the end of that table (skip = 99,900), many times.
 *
 * Goals: at least 5,000 records/s written, and a read p99 under 50 ms. `npm run bench` imports
 * `benchData`; `tsx bench/data.ts` runs it alone and prints the figures.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { renderRecords } from '../src/services/data.js';
import { createServices } from '../src/services/index.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';

const RECORDS = 100_000;
const BATCH = 100;
const READ_TAKE = 100;
const READ_SAMPLES = 300;
const READ_WARM_UP = 20;
const GOAL_RECORDS_PER_SECOND = 5000;
const GOAL_READ_P99_MS = 50;

export interface DataBenchResult {
  via: string;
  records: number;
  batchSize: number;
  writeSeconds: number;
  recordsPerSecond: number;
  batchP50Ms: number;
  batchP99Ms: number;
  readSkip: number;
  readTake: number;
  readSamples: number;
  readP50Ms: number;
  readP99Ms: number;
  readMaxMs: number;
  /** The first page (skip = 0), for comparison with the last. */
  firstPageP50Ms: number;
  /** GET /data/sources' work on the same HAT. */
  sourcesP50Ms: number;
  databaseMiB: number;
  goals: { recordsPerSecond: number; readP99Ms: number };
  met: { write: boolean; read: boolean };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));

function sample(i: number) {
  return {
    id: i,
    timestamp: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
    source: 'bench',
    value: i * 1.5,
    text: 'Walked along the river, then home for tea and a long read by the window.',
    tags: ['walk', i % 2 ? 'evening' : 'morning'],
    location: { lat: 51.5 + (i % 100) / 1000, lon: -0.12 - (i % 50) / 1000 },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}

export async function benchData(): Promise<DataBenchResult> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hat-bench-data-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SIGNUP_PER_CLIENT_HOUR: '100000' });
  const store = openSqliteStore(dataDir);
  try {
    const services = createServices(config, store, createLogger('silent'));
    const password = 'correct horse battery staple';
    await services.signup.create({ username: 'bench', email: 'bench@example.com', pass: password, passRepeat: password }, '127.0.0.1');
    const hat = await services.hats.find('bench');
    if (!hat) throw new Error('the bench HAT was not created');
    const owner = services.auth.ownerByPassword(hat);
    const data = services.data;

    const batchTimes: number[] = [];
    const t0 = performance.now();
    for (let start = 0; start < RECORDS; start += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, k) => sample(start + k));
      const [written, ms] = await timed(() => data.write(owner, 'bench', 'diary/entries', async () => batch));
      if (written.records.length !== BATCH) throw new Error('a batch was not stored whole');
      batchTimes.push(ms);
    }
    const writeSeconds = (performance.now() - t0) / 1000;

    const skip = String(RECORDS - READ_TAKE);
    const readPage = async (from: string) => {
      const records = await data.read(owner, 'bench', 'diary/entries', { skip: from, take: String(READ_TAKE) });
      if (records.length !== READ_TAKE) throw new Error(`read ${records.length} records, not ${READ_TAKE}`);
      return renderRecords(records);
    };
    for (let i = 0; i < READ_WARM_UP; i++) await readPage(skip);
    const reads: number[] = [];
    for (let i = 0; i < READ_SAMPLES; i++) reads.push((await timed(() => readPage(skip)))[1]);
    const firsts: number[] = [];
    for (let i = 0; i < 50; i++) firsts.push((await timed(() => readPage('0')))[1]);
    const sources: number[] = [];
    for (let i = 0; i < 50; i++) sources.push((await timed(() => data.sources(owner)))[1]);

    const sortedReads = [...reads].sort((a, b) => a - b);
    const sortedBatches = [...batchTimes].sort((a, b) => a - b);
    const recordsPerSecond = Math.round(RECORDS / writeSeconds);
    const readP99Ms = percentile(sortedReads, 99);
    return {
      via: 'services (DataService over the embedded SQLite store, no HTTP)',
      records: RECORDS,
      batchSize: BATCH,
      writeSeconds: round(writeSeconds),
      recordsPerSecond,
      batchP50Ms: round(percentile(sortedBatches, 50)),
      batchP99Ms: round(percentile(sortedBatches, 99)),
      readSkip: Number(skip),
      readTake: READ_TAKE,
      readSamples: READ_SAMPLES,
      readP50Ms: round(percentile(sortedReads, 50)),
      readP99Ms: round(readP99Ms),
      readMaxMs: round(sortedReads[sortedReads.length - 1] ?? 0),
      firstPageP50Ms: round(percentile([...firsts].sort((a, b) => a - b), 50)),
      sourcesP50Ms: round(percentile([...sources].sort((a, b) => a - b), 50), 3),
      databaseMiB: round(statSync(path.join(dataDir, 'hat.sqlite')).size / 1024 / 1024, 1),
      goals: { recordsPerSecond: GOAL_RECORDS_PER_SECOND, readP99Ms: GOAL_READ_P99_MS },
      met: { write: recordsPerSecond >= GOAL_RECORDS_PER_SECOND, read: readP99Ms < GOAL_READ_P99_MS },
    };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchData(), null, 2));
}
