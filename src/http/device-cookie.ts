import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import type { AppContext } from './context.js';

/**
 * The device cookie of SPEC 6.3 (OWASP's "device cookies" defence against lock-out): a browser
 * that logged in to this HAT carries a random device id, signed for this HAT, for a year. The
 * login throttle counts such a browser by its own limit only, so strangers failing on the HAT
 * can never lock its owner out of a browser they used before.
 *
 * The cookie is host-only (so per HAT), HttpOnly, SameSite=Lax, Secure on https, and holds only
 * `<id>.<mac>`; the MAC binds the id to the HAT, so a cookie from one HAT is worthless on another.
 */
export const DEVICE_COOKIE = 'hat_device';
const LIFETIME_MS = 365 * 24 * 3600 * 1000;

export class DeviceCookies {
  private readonly key: Buffer;
  private readonly https: boolean;

  constructor(config: Pick<Config, 'sessionSecret' | 'publicScheme'>) {
    // A key of its own, derived from the session secret: a device MAC is never a session signature.
    this.key = Buffer.from(hkdfSync('sha256', config.sessionSecret, 'hat-login', 'device-cookie', 32));
    this.https = config.publicScheme === 'https';
  }

  /** The device id of this request's valid device cookie for `hat`, or undefined. */
  deviceOf(ctx: AppContext, hat: string): string | undefined {
    const value = ctx.cookies.get(DEVICE_COOKIE, { signed: false });
    if (!value) return undefined;
    const [id, mac] = value.split('.');
    if (!id || !mac || !/^[A-Za-z0-9_-]{22,64}$/.test(id)) return undefined;
    const expected = Buffer.from(this.mac(hat, id));
    const given = Buffer.from(mac);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : undefined;
  }

  /** After a successful login: keeps the browser's device id (or gives it one) for another year. */
  remember(ctx: AppContext, hat: string): void {
    const id = this.deviceOf(ctx, hat) ?? randomBytes(18).toString('base64url');
    ctx.cookies.set(DEVICE_COOKIE, `${id}.${this.mac(hat, id)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.https,
      signed: false,
      maxAge: LIFETIME_MS,
      overwrite: true,
    });
  }

  private mac(hat: string, id: string): string {
    return createHmac('sha256', this.key).update(`device|${hat}|${id}`).digest('base64url');
  }
}
