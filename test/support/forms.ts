import type { Reply } from './http.js';
import type { TestServer } from './server.js';

/**
 * A minimal browser for HTTP tests of server-rendered forms: it keeps the cookies one host set,
 * reads the CSRF token of the last page it was shown, and posts URL-encoded forms.
 */
export class FormClient {
  private readonly cookies = new Map<string, string>();
  /** The `_csrf` value of the last page that had one. */
  csrf = '';

  constructor(
    private readonly server: TestServer,
    /** The HAT's name, or null for the cluster's own host. */
    readonly hat: string | null,
  ) {}

  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.remember(await this.server.call(this.hat, path, { headers: { ...this.headers(), ...headers } }));
  }

  /** Posts `fields` as a form; the page's CSRF token is added unless `_csrf` is given (use null to omit it). */
  async post(path: string, fields: Record<string, string | null>, headers: Record<string, string> = {}): Promise<Reply> {
    const form = new URLSearchParams();
    const withToken = '_csrf' in fields ? fields : { _csrf: this.csrf, ...fields };
    for (const [name, value] of Object.entries(withToken)) if (value !== null) form.set(name, value);
    return this.remember(
      await this.server.call(this.hat, path, {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: form.toString(),
      }),
    );
  }

  forgetCookies(): void {
    this.cookies.clear();
  }

  private headers(): Record<string, string> {
    return this.cookies.size ? { cookie: this.cookieHeader } : {};
  }

  private remember(reply: Reply): Reply {
    const set = reply.headers['set-cookie'] ?? [];
    for (const line of set) {
      const [pair, ...attributes] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(reply.text);
    if (token) this.csrf = token[1]!;
    return reply;
  }
}

/** The text of the element with `id`, tags stripped and whitespace collapsed ('' when absent). */
export function textOf(html: string, id: string): string {
  const found = new RegExp(`<(\\w+)[^>]*\\sid="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(html);
  return found ? unescape(found[2]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()) : '';
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

export function unescape(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!);
}

/** The `value` of the input named `name` ('' when it has none, null when there is no such input). */
export function valueOf(html: string, name: string): string | null {
  const input = new RegExp(`<input[^>]*\\sname="${name}"[^>]*>`).exec(html);
  if (!input) return null;
  const value = /\svalue="([^"]*)"/.exec(input[0]);
  return value ? unescape(value[1]!) : '';
}
