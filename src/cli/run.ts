import { ConfigError, loadConfig, type Config } from '../config.js';
import { HatError } from '../errors.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/ports.js';

/** A command line that does not fit the tool's usage: printed with the usage, exit code 2. */
export class UsageError extends Error {}
/** A refusal the tool explains itself (exit code 1, the message alone). */
export class CliFailure extends Error {}

export interface CliTool {
  /** The tool's name, the prefix of every message it prints on stderr. */
  name: string;
  usage: string;
  /** Does the command on the open store and answers what goes to stdout. */
  run(args: string[], config: Config, store: Store): Promise<string>;
  /** Called once whatever happened, before the store closes (e.g. flushing a log). */
  finish?(): void;
}

/**
 * The operators' command-line tools share one life: usage on no arguments, the server's
 * configuration and store, one line per problem on stderr, and exit codes 0 done, 1 refused or
 * failed, 2 usage.
 */
export async function runCli(tool: CliTool, args = process.argv.slice(2)): Promise<number> {
  if (args.length === 0 || ['help', '--help', '-h'].includes(args[0]!)) {
    console.log(tool.usage);
    return args.length === 0 ? 2 : 0;
  }
  let config: Config;
  let store: Store;
  try {
    config = loadConfig();
    store = await openStore(config);
  } catch (err) {
    console.error(`${tool.name}: ${err instanceof ConfigError ? err.message : `cannot open the store: ${(err as Error).message}`}`);
    return 1;
  }
  try {
    console.log(await tool.run(args, config, store));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${tool.name}: ${err.message}\n${tool.usage}`);
      return 2;
    }
    if (err instanceof HatError) console.error(`${tool.name}: ${err.message}: ${err.detail}`);
    else if (err instanceof CliFailure) console.error(`${tool.name}: ${err.message}`);
    else console.error(`${tool.name}: failed: ${(err as Error).message}`);
    return 1;
  } finally {
    tool.finish?.();
    await store.close();
  }
}
