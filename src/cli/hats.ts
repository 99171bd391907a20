import pino from 'pino';
import { createLogger } from '../log.js';
import { createServices } from '../services/index.js';
import type { HatSummary } from '../services/hat-admin.js';
import { runCli, UsageError } from './run.js';

/*
 * The operators' tool for HATs (SPEC 9), on the same store and through the same service
 * (HatAdministration) as the admin API /api/admin/hats:
 *
 *   npm run hats -- list [--json]              every HAT: name, created, disabled, keys, counts
 *   npm run hats -- show <name>                one HAT as JSON
 *   npm run hats -- disable <name>             refuse its owner's tokens, sessions and logins
 *   npm run hats -- enable <name>              let them back in
 *   npm run hats -- rotate-key <name> [--revoke]   a new signing key (--revoke: old tokens stop now)
 *   npm run hats -- delete <name>              delete the HAT and all it holds; name reserved 30 days
 *
 * It reads DATA_DIR / MONGODB_URI like the server; a running server sees a change within
 * REVISION_CHECK_MS. Actions are logged (JSON lines on stderr) and written to the HAT's activity
 * log as done by the operator. Exit codes: 0 done, 1 refused or failed (unknown HAT), 2 usage.
 */

const USAGE = `usage: npm run hats -- <command>
  list [--json]               list the HATs
  show <name>                 print one HAT as JSON
  disable <name>              disable the owner: every token, session and login is refused
  enable <name>               enable the owner again
  rotate-key <name> [--revoke]  give the HAT a new signing key (--revoke: tokens of the old key stop at once)
  delete <name>               delete the HAT with all its data; the name stays reserved for 30 days`;


type Admin = ReturnType<typeof createServices>['hatAdmin'];

function table(hats: HatSummary[]): string {
  if (hats.length === 0) return 'There are no HATs.';
  const rows = hats.map((h) => [
    h.name,
    h.created.slice(0, 10),
    h.disabled ? 'disabled' : 'active',
    String(h.keyIds.length),
    String(h.counts.records),
    String(h.counts.grants + h.counts.approvals),
  ]);
  const header = ['NAME', 'CREATED', 'STATUS', 'KEYS', 'RECORDS', 'SERVICES'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function listAll(admin: Admin): Promise<HatSummary[]> {
  const all: HatSummary[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await admin.list({ skip, take: 1000 });
    all.push(...page);
    if (page.length < 1000) return all;
  }
}

function oneName(command: string, args: string[]): string {
  if (args.length !== 1 || !args[0] || args[0].startsWith('--')) throw new UsageError(`${command} takes one HAT name`);
  return args[0];
}

async function run(args: string[], admin: Admin): Promise<string> {
  const [command, ...rest] = args;
  switch (command) {
    case 'list': {
      if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== '--json')) throw new UsageError(`unknown option ${rest.join(' ')}`);
      const hats = await listAll(admin);
      return rest[0] === '--json' ? JSON.stringify(hats, null, 2) : table(hats);
    }
    case 'show':
      return JSON.stringify(await admin.show(oneName('show', rest)), null, 2);
    case 'disable':
      await admin.setDisabled(oneName('disable', rest), true);
      return `Disabled ${rest[0]}: its tokens, sessions and logins are refused.`;
    case 'enable':
      await admin.setDisabled(oneName('enable', rest), false);
      return `Enabled ${rest[0]}.`;
    case 'rotate-key': {
      const revoke = rest.includes('--revoke');
      const { kid, previous } = await admin.rotateKey(oneName('rotate-key', rest.filter((a) => a !== '--revoke')), { revoke });
      return JSON.stringify({ kid, previous });
    }
    case 'delete': {
      const { name, reservedUntil } = await admin.delete(oneName('delete', rest));
      return `Deleted ${name} with all its data; the name is reserved until ${reservedUntil}.`;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

let log: ReturnType<typeof createLogger> | undefined;

process.exitCode = await runCli({
  name: 'hats',
  usage: USAGE,
  run: (args, config, store) => {
    // The operator's actions go to the log like the server's, on stderr: stdout is the answer.
    log = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
    return run(args, createServices({ ...config, revisionCheckMs: 0 }, store, log).hatAdmin);
  },
  finish: () => log?.flush(),
});
