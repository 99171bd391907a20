import { fork, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Child {
  port: number;
  pid: number;
  process: ChildProcess;
  /** Resident set size of the child, in bytes, as it reports it. */
  rss(): Promise<number>;
  /** CPU time (user + system) the child has used so far, in µs. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

export interface ChildOptions {
  env: Record<string, string>;
  /** Where the child's stdout goes: a file path, or /dev/null when absent. */
  stdoutFile?: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

/** Starts `bench/<file>` in its own Node process (through tsx) and waits until it listens. */
export async function startChild(file: string, options: ChildOptions): Promise<Child> {
  const stdout = options.stdoutFile ? openSync(options.stdoutFile, 'a') : 'ignore';
  const child = fork(path.join(HERE, file), [], {
    execArgv: ['--import', 'tsx', ...(options.nodeFlags ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', stdout, 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${file} exited with ${code} before it was ready`));
    child.once('exit', onExit);
    child.on('message', (m: { type: string; port?: number; pid?: number }) => {
      if (m.type !== 'ready') return;
      child.off('exit', onExit);
      resolve({ port: m.port!, pid: m.pid! });
    });
  });
  return {
    ...ready,
    process: child,
    rss: () => ask(child, 'rss', 'rss'),
    cpu: () => ask(child, 'cpu', 'micros'),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

function ask(child: ChildProcess, type: string, field: string): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (m: Record<string, unknown>) => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      resolve(m[field] as number);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}
