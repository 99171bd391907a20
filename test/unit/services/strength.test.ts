import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { PasswordRules } from '../../../src/services/strength.js';
import { TooManyAttempts } from '../../../src/errors.js';

/** The kind of password the red team sent: 1,024 digits with a little structure. */
export const WORST_CASE_PASSWORD = Array.from({ length: 1024 }, (_, i) => String((i * 7) % 10)).join('');

describe('PasswordRules (SPEC 9: the estimate runs off the event loop, with a budget)', () => {
  const rules = new PasswordRules({ workers: 1, timeoutMs: 5000, maxWaiting: 1 });
  after(() => rules.close());

  it('cheap rules first: a short or an over-long password is refused without an estimate', async () => {
    assert.match((await rules.problem('short'))!, /at least 10 characters/);
    assert.match((await rules.problem('x'.repeat(1025)))!, /at most 1024 characters/);
  });

  it('scores in a worker: a strong password passes, a weak one gets the advice', async () => {
    assert.equal(await rules.problem('correct horse battery staple'), null);
    assert.match((await rules.problem('password123', ['alice']))!, /too easy to guess \(strength \d of 4/);
  });

  it('the name, email and full name count as guessable', async () => {
    assert.match((await rules.problem('alicealicealice', ['alicealicealice']))!, /too easy to guess/);
  });

  it('running out of time counts as too weak, and the event loop keeps turning meanwhile', async () => {
    const hurried = new PasswordRules({ workers: 1, timeoutMs: 50, maxWaiting: 4 });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const started = Date.now();
      const problem = await hurried.problem(WORST_CASE_PASSWORD);
      clearInterval(timer);
      assert.match(problem!, /could not be checked in time/);
      // The estimate ran elsewhere: timers kept firing while it ran.
      assert.ok(ticks >= Math.floor((Date.now() - started) / 50), `only ${ticks} ticks in ${Date.now() - started} ms`);
      // A fresh worker replaces the one that overran.
      const calm = new PasswordRules({ workers: 1, timeoutMs: 5000, maxWaiting: 1 });
      assert.equal(await calm.problem('correct horse battery staple'), null);
      await calm.close();
    } finally {
      await hurried.close();
    }
  });

  it('a full backlog is refused for now (429), not called weak', async () => {
    const small = new PasswordRules({ workers: 1, timeoutMs: 5000, maxWaiting: 2 });
    try {
      const first = small.problem('correct horse battery staple one');
      const second = small.problem('correct horse battery staple two');
      await assert.rejects(small.problem('correct horse battery staple three'), TooManyAttempts);
      assert.equal(await first, null);
      assert.equal(await second, null);
    } finally {
      await small.close();
    }
  });
});
