import { readFileSync } from 'node:fs';
import { createLogger } from '../log.js';
import { registryView } from '../services/application-model.js';
import { createServices } from '../services/index.js';
import type { ApplicationRegistry } from '../services/registry.js';
import { CliFailure, runCli, UsageError } from './run.js';
import type { ApplicationRecord } from '../store/ports.js';

/*
 * The operators' tool for the application registry (SPEC 9), on the same store and through the
 * same ApplicationRegistry as the admin API:
 *
 *   npm run apps -- add <file.json>      register an application (fails if the id exists); the
 *                                        file is a compact registration or a HAT manifest
 *   npm run apps -- update <file.json>   replace an existing registration
 *   npm run apps -- list [--json]        list the registrations
 *   npm run apps -- show <id>            print one registration as JSON
 *   npm run apps -- remove <id>          remove it; its grants on every HAT go with it
 *
 * It reads DATA_DIR / MONGODB_URI like the server. A running server sees the change within
 * REVISION_CHECK_MS (1 s by default). Exit codes: 0 done, 1 refused or failed, 2 usage.
 */

const USAGE = `usage: npm run apps -- <command>
  add <file.json>      register an application (a compact registration or a HAT
                       manifest; fails if its id is taken)
  update <file.json>   replace an existing registration (same id)
  list [--json]        list the registered applications
  show <id>            print one registration as JSON, with its HAT manifest
  remove <id>          remove an application and every HAT's grant of it`;


function readRegistration(file: string | undefined): unknown {
  if (!file) throw new UsageError('a JSON file is required');
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliFailure(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliFailure(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function table(apps: ApplicationRecord[]): string {
  if (apps.length === 0) return 'No applications are registered.';
  const rows = apps.map((a) => [
    a.id,
    a.version,
    a.name,
    a.permissions.map((p) => `${p.namespace}:${p.access}`).join(',') || '-',
    a.redirectUris[0] ?? '',
  ]);
  const header = ['ID', 'VERSION', 'NAME', 'PERMISSIONS', 'FIRST REDIRECT URL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function run(args: string[], registry: ApplicationRegistry): Promise<string> {
  const [command, arg, ...rest] = args;
  switch (command) {
    case 'add':
      if (rest.length) throw new UsageError('add takes one file');
      return JSON.stringify(registryView(await registry.create(readRegistration(arg))), null, 2);
    case 'update': {
      if (rest.length) throw new UsageError('update takes one file');
      const body = readRegistration(arg);
      const id = typeof body === 'object' && body !== null && 'id' in body ? String((body as { id: unknown }).id) : '';
      if (!id) throw new CliFailure('the registration has no id');
      return JSON.stringify(registryView(await registry.replace(id, body)), null, 2);
    }
    case 'list':
      if (arg !== undefined && arg !== '--json') throw new UsageError(`unknown option ${arg}`);
      return arg === '--json' ? JSON.stringify((await registry.list()).map(registryView), null, 2) : table(await registry.list());
    case 'show':
      if (!arg || rest.length) throw new UsageError('show takes one application id');
      return JSON.stringify(registryView(await registry.get(arg)), null, 2);
    case 'remove': {
      if (!arg || rest.length) throw new UsageError('remove takes one application id');
      const { grantsRemoved } = await registry.remove(arg);
      return `Removed ${arg} (it was enabled or set up on ${grantsRemoved} HAT${grantsRemoved === 1 ? '' : 's'}).`;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return USAGE;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

process.exitCode = await runCli({
  name: 'apps',
  usage: USAGE,
  // The same wiring as the server: removing an application also removes its grants through the
  // service that owns them.
  run: (args, config, store) => run(args, createServices({ ...config, revisionCheckMs: 0 }, store, createLogger('silent')).registry),
});
