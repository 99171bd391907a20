import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config.js';

/** One mail: plain text, so that every mail program shows the link the same way. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** A mail as it was written to the outbox, with when and from whom. */
export interface OutboxMail extends Mail {
  id: string;
  from: string;
  date: string;
}

export interface Mailer {
  /** Where mail goes, for the start-up log: `smtp` or `outbox`. */
  readonly kind: 'smtp' | 'outbox';
  send(mail: Mail): Promise<void>;
}

/**
 * SPEC 13: mail goes through nodemailer to SMTP_URL; with none set it is written to
 * DATA_DIR/outbox/, one JSON file per mail (0600 in a 0700 folder: the links in it log a HAT in),
 * so that a newcomer can try recovery with nothing but `npm start` (see /dev/outbox).
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>): Mailer {
  if (config.smtpUrl) {
    const transport = nodemailer.createTransport(config.smtpUrl);
    return {
      kind: 'smtp',
      async send(mail) {
        await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
      },
    };
  }
  const outbox = outboxDir(config.dataDir);
  return {
    kind: 'outbox',
    async send(mail) {
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      const date = new Date().toISOString();
      // The time first, so that file names sort in the order the mails were sent.
      const id = `${date.replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`;
      const written: OutboxMail = { id, from: config.mailFrom, date, ...mail };
      await writeFile(path.join(outbox, `${id}.json`), JSON.stringify(written, null, 2), { mode: 0o600, flag: 'wx' });
    },
  };
}

export function outboxDir(dataDir: string): string {
  return path.join(dataDir, 'outbox');
}

/** The newest mails of the outbox first (for /dev/outbox, in development only). */
export async function readOutbox(dataDir: string, limit = 50): Promise<OutboxMail[]> {
  const dir = outboxDir(dataDir);
  const files = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const newest = files.filter((f) => f.endsWith('.json')).sort().reverse().slice(0, limit);
  const mails = await Promise.all(
    newest.map(async (f) => {
      try {
        return JSON.parse(await readFile(path.join(dir, f), 'utf8')) as OutboxMail;
      } catch {
        return null;
      }
    }),
  );
  return mails.filter((m): m is OutboxMail => m !== null);
}
