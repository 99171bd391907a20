import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  /** The raw message as it arrived (headers and body). */
  raw: string;
  subject: string;
}

/**
 * A real SMTP server on a free port of 127.0.0.1 (the `smtp-server` package), for tests that
 * read what the server mailed. Plain SMTP without STARTTLS or authentication, as on a laptop.
 */
export class SmtpPeer {
  readonly received: ReceivedMail[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpPeer> {
    let peer: SmtpPeer | undefined;
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
          peer?.receive({ to: session.envelope.rcptTo.map((r) => r.address), raw, subject });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    peer = new SmtpPeer(server, (server.server.address() as AddressInfo).port);
    return peer;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private receive(mail: ReceivedMail): void {
    this.received.push(mail);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /**
   * The first mail to `to` whose subject matches `subject` (after `skip` earlier such mails),
   * waiting up to `ms` for it.
   */
  async mailTo(to: string, subject: RegExp, skip = 0, ms = 10_000): Promise<ReceivedMail> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.received.filter((m) => m.to.includes(to) && subject.test(m.subject))[skip];
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail to ${to} arrived within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The link in a mail's text (quoted-printable soft breaks undone), or throws. */
export function linkIn(mail: ReceivedMail, path: string): string {
  const body = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const found = new RegExp(`https?://\\S*${path.replace(/[?]/g, '\\?')}\\S+`).exec(body);
  if (!found) throw new Error(`no ${path} link in the mail "${mail.subject}"`);
  return found[0];
}
