import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by path as a second line
 * of defence; the request logger (http/logging.ts) already leaves out headers and query strings.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    redact: {
      paths: ['password', 'pass', 'token', 'accessToken', '*.password', '*.pass', '*.token', '*.accessToken', 'headers'],
      censor: '[redacted]',
    },
  });
}
