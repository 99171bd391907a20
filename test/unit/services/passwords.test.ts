import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARGON2, PasswordHasher, scryptHash } from '../../../src/services/passwords.js';
import { clientKey } from '../../../src/services/client-address.js';
import { WorkQueue } from '../../../src/services/work-queue.js';
import { TooManyAttempts } from '../../../src/errors.js';

const queue = () => new WorkQueue({ ownerSlots: 1, signupSlots: 1, signupWaiting: 2 });

describe('PasswordHasher (SPEC 10: Argon2id, earlier hashes verified and replaced)', () => {
  it('hashes with Argon2id in PHC form at OWASP minimum cost at least, and verifies it', async () => {
    const hasher = new PasswordHasher(queue());
    const hash = await hasher.hash('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    const [, m, t, p] = /m=(\d+),t=(\d+),p=(\d+)/.exec(hash)!.map(Number);
    assert.ok(m! >= 19456 && t! >= 2 && p! >= 1, hash);
    assert.equal(await hasher.verify('correct horse battery staple', hash), true);
    assert.equal(await hasher.verify('correct horse battery stapler', hash), false);
    assert.equal(hasher.needsRehash(hash), false);
  });

  it('verifies a hash of the earlier scheme (scrypt) and says it needs replacing', async () => {
    const hasher = new PasswordHasher(queue());
    const old = await scryptHash('correct horse battery staple', { log2N: 10, r: 8, p: 1 });
    assert.equal(await hasher.verify('correct horse battery staple', old), true);
    assert.equal(await hasher.verify('wrong horse battery staple', old), false);
    assert.equal(hasher.needsRehash(old), true);
  });

  it('a weaker Argon2 hash needs replacing; a malformed one matches nothing', async () => {
    const hasher = new PasswordHasher(queue());
    const { hash } = await import('@node-rs/argon2');
    const weak = await hash('pw', { ...ARGON2, memoryCost: 4096, timeCost: 1 });
    assert.equal(hasher.needsRehash(weak), true);
    assert.equal(await hasher.verify('pw', weak), true);
    assert.equal(await hasher.verify('pw', '$argon2id$v=19$garbage'), false);
    assert.equal(await hasher.verify('pw', 'plain'), false);
  });
});

describe('WorkQueue: one bounded queue for hashes and key pairs that owners can always get into', () => {
  it('an owner’s work starts while sign-up work fills its lane and backlog', async () => {
    const q = queue();
    const releases: Array<() => void> = [];
    const blocked = () => new Promise<void>((resolve) => releases.push(resolve));
    const signups = [q.run('signup', blocked), q.run('signup', blocked), q.run('signup', blocked)];
    await assert.rejects(q.run('signup', blocked), TooManyAttempts, 'a sign-up past the backlog is refused at once');
    assert.deepEqual(q.load('signup'), { running: 1, waiting: 2 });
    assert.equal(await q.run('owner', async () => 'logged in'), 'logged in');
    while (releases.length) releases.shift()!();
    await Promise.all(signups.slice(0, 1));
    while (releases.length || q.load('signup').running) {
      while (releases.length) releases.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(signups);
  });
});

describe('clientKey: the address a throttle counts (SPEC 6.3: IPv6 per /64)', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, and folds IPv6 to its /64', () => {
    assert.equal(clientKey('203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('::ffff:203.0.113.9'), '203.0.113.9');
    assert.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(clientKey('::1'), '0:0:0:0::/64');
    assert.notEqual(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'));
  });
});
