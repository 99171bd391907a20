import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * SPEC 10: DATA_DIR is created 0700 and its files 0600, whatever the umask: it holds password
 * hashes, sealed keys and the development secrets. An existing folder or file is tightened too.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Creates `file` empty with mode 0600 unless it exists, and makes sure it is 0600. */
export function privateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
}
