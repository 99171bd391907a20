import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by path as a second line
 * of defence; the request logger (http/logging.ts) already leaves out headers and query strings.
 * `destination` (stdout by default) lets tests read the lines.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: {
        paths: ['password', 'pass', 'token', 'accessToken', '*.password', '*.pass', '*.token', '*.accessToken', 'headers'],
        censor: '[redacted]',
      },
    },
    // Lines are gathered up to 4 KiB (at most 250 ms) before one write: under load, one write
    // per request line cost more than the rest of a token validation. Pino flushes on exit.
    destination ?? pino.destination({ dest: 1, minLength: 4096, periodicFlush: 250 }),
  );
}
