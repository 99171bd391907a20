import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppContext } from '../../../src/http/context.js';
import { sendBack, takeHop } from '../../../src/http/pages/hop.js';
import type { BrowserSession } from '../../../src/http/session.js';

/** Just what a hop touches of a request: its server-side session, and the redirect it answers with. */
function page(session: BrowserSession = {}) {
  const ctx = { session, status: 200, location: '', redirect(url: string) { this.location = url; } };
  return ctx as unknown as AppContext & { session: BrowserSession; location: string };
}

/** The hop id of the answer `ctx` was given. */
function hopId(ctx: { location: string }): string {
  const m = /^\/continue\/([A-Za-z0-9_-]{22})$/.exec(ctx.location);
  assert.ok(m, ctx.location);
  return m[1]!;
}

describe('the hop to a destination CSP cannot name (http/pages/hop.ts)', () => {
  it('answers a nameable destination with its direct 303, and records nothing', () => {
    const ctx = page();
    sendBack(ctx, 'https://shop.example.com/cb?token=t');
    assert.equal(ctx.status, 303);
    assert.equal(ctx.location, 'https://shop.example.com/cb?token=t');
    assert.equal(ctx.session.hops, undefined);
  });

  it('keeps an IPv6 destination in the session, for one take', () => {
    const ctx = page();
    sendBack(ctx, 'http://[::1]:8080/cb?token=t');
    assert.equal(ctx.status, 303);
    const id = hopId(ctx);
    assert.deepEqual({ ...takeHop(ctx, id), until: 0 }, { to: 'http://[::1]:8080/cb?token=t', host: '[::1]:8080', until: 0 });
    assert.equal(takeHop(ctx, id), null);
    assert.equal(ctx.session.hops, undefined, 'nothing is left behind');
  });

  it('goes to a same-origin step when one leads to the destination, naming the destination', () => {
    const ctx = page();
    sendBack(ctx, '/oauth/authorize/abc', 'http://[::1]:8080/callback');
    assert.deepEqual({ ...takeHop(ctx, hopId(ctx)), until: 0 }, { to: '/oauth/authorize/abc', host: '[::1]:8080', until: 0 });
  });

  it('knows nothing of ids it did not make, of another session, or of an expired hop', () => {
    const ctx = page();
    sendBack(ctx, 'http://[::1]:8080/cb');
    const id = hopId(ctx);
    assert.equal(takeHop(page(), id), null);
    assert.equal(takeHop(ctx, '__proto__'), null);
    assert.equal(takeHop(ctx, 'made-up'), null);
    ctx.session.hops![id]!.until = Date.now() - 1;
    assert.equal(takeHop(ctx, id), null, 'expired');
  });

  it('keeps the newest few hops of a session', () => {
    const ctx = page();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      sendBack(ctx, `http://[::1]:8080/cb?n=${i}`);
      ids.push(hopId(ctx));
    }
    assert.equal(Object.keys(ctx.session.hops!).length, 4);
    assert.equal(takeHop(ctx, ids[0]!), null);
    assert.equal(takeHop(ctx, ids[5]!)?.to, 'http://[::1]:8080/cb?n=5');
  });

  it('drops expired hops whenever the map is read or written, so that no token waits in the session', () => {
    const ctx = page();
    sendBack(ctx, 'http://[::1]:8080/cb?token=old');
    const old = hopId(ctx);
    sendBack(ctx, 'http://[::1]:8080/cb?token=other');
    const other = hopId(ctx);
    ctx.session.hops![old]!.until = Date.now() - 1;
    assert.equal(takeHop(ctx, 'made-up'), null);
    assert.deepEqual(Object.keys(ctx.session.hops!), [other], 'a read drops the expired hop');
    ctx.session.hops![other]!.until = Date.now() - 1;
    assert.equal(takeHop(ctx, other), null);
    assert.equal(ctx.session.hops, undefined, 'nothing is left behind');
    ctx.session.hops = { stale: { to: 'http://[::1]:8080/cb?token=t', host: '[::1]:8080', until: Date.now() - 1 } };
    sendBack(ctx, 'http://[::1]:8080/cb?token=new');
    assert.deepEqual(Object.keys(ctx.session.hops!), [hopId(ctx)], 'a write drops it too');
  });
});
