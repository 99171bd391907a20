import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppContext } from '../../../src/http/context.js';
import { claimConsent, offerConsent } from '../../../src/http/pages/consent.js';

/** Just what the consent mechanism touches of a request: its server-side session. */
function page(): AppContext {
  return { session: {} } as unknown as AppContext;
}

describe('consent to exactly what was shown (http/pages/consent.ts)', () => {
  it('gives back what the page showed, to one answer only', () => {
    const ctx = page();
    const id = offerConsent(ctx, { notes: 'notes:write' }, { request: { name: 'notes', redirect: 'https://n.example/cb' } });
    assert.deepEqual(claimConsent(ctx, id), { service: 'notes', permissions: 'notes:write', request: { name: 'notes', redirect: 'https://n.example/cb' } });
    assert.equal(claimConsent(ctx, id), null, 'answered once');
  });

  it('knows nothing of offers it did not make, or of another session', () => {
    const ctx = page();
    const id = offerConsent(ctx, { a: '' });
    assert.equal(claimConsent(ctx, 'made-up'), null);
    assert.equal(claimConsent(ctx, undefined), null);
    assert.equal(claimConsent(page(), id), null);
    assert.equal(claimConsent(ctx, '__proto__'), null);
  });

  it('claims one service of a page that showed several, each once, and replaces a fixed offer when shown again', () => {
    const ctx = page();
    offerConsent(ctx, { a: 'x:read', b: 'y:write' }, { id: 'dashboard' });
    assert.equal(claimConsent(ctx, 'dashboard'), null, 'which service must be said');
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'a' })?.permissions, 'x:read');
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'a' }), null);
    offerConsent(ctx, { a: 'x:write' }, { id: 'dashboard' });
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'b' }), null, 'the new showing replaced the old one');
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'a' })?.permissions, 'x:write');
  });

  it('refuses an answer that names other permissions than were shown, and uses the offer up', () => {
    const ctx = page();
    offerConsent(ctx, { a: 'x:read,y:read' }, { id: 'dashboard' });
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'a', echoed: 'x:read' }), null);
    assert.equal(claimConsent(ctx, 'dashboard', { service: 'a', echoed: 'x:read,y:read' }), null);
  });

  it('keeps the newest few offers of a session', () => {
    const ctx = page();
    const ids = Array.from({ length: 12 }, (_, i) => offerConsent(ctx, { [`s${i}`]: '' }));
    assert.equal(claimConsent(ctx, ids[0]), null, 'the oldest was dropped');
    assert.equal(claimConsent(ctx, ids[11])?.service, 's11');
  });
});
