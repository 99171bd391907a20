import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { confusable, skeleton } from '../../../src/services/confusables.js';
import { NameGuard, parseServiceName } from '../../../src/services/service-names.js';
import { InvalidInput } from '../../../src/errors.js';
import { application } from '../../support/fixtures.js';

describe('skeleton: names that look alike (SPEC 6.9)', () => {
  it('folds case, compatibility forms and marks', () => {
    assert.equal(skeleton('Diary'), skeleton('diary'));
    assert.equal(skeleton('ＤＩＡＲＹ'), skeleton('diary'), 'fullwidth');
    assert.equal(skeleton('𝐃𝐢𝐚𝐫𝐲'), skeleton('diary'), 'mathematical bold');
    assert.equal(skeleton('Straße'), skeleton('strasse'), 'ß folds to ss');
    assert.equal(skeleton('Díáry'), skeleton('diary'), 'marks removed');
  });

  it('maps Cyrillic and Greek look-alikes and digits to Latin', () => {
    assert.ok(confusable('diаry', 'diary'), 'Cyrillic а');
    assert.ok(confusable('Ρауpal', 'paypal'), 'Greek Ρ, Cyrillic а у');
    assert.ok(confusable('g00gle', 'google'), 'zeros');
    assert.ok(confusable('paypa1', 'paypal'), 'one for l');
    assert.ok(confusable('rnail', 'mail'), 'rn for m');
    assert.ok(confusable('vvorld', 'world'), 'vv for w');
  });

  it('ignores invisible characters and the separators people do not read', () => {
    assert.ok(confusable('di\u200Bary', 'diary'));
    assert.ok(confusable('My Diary', 'my-diary'));
    assert.ok(confusable('my_diary', 'my.diary'));
  });

  it('tells different names apart', () => {
    assert.ok(!confusable('diary', 'dairy'));
    assert.ok(!confusable('Notes', 'Nodes'));
    assert.ok(!confusable('Some Website', 'Other Website'));
  });
});

describe('parseServiceName (SPEC 6.1, 6.9)', () => {
  const refused = (raw: unknown, what: RegExp) =>
    assert.throws(() => parseServiceName(raw), (err: unknown) => err instanceof InvalidInput && err.field === 'name' && what.test(err.detail));

  it('normalises to NFKC', () => {
    assert.equal(parseServiceName('Ｓｈｏｐ'), 'Shop');
    assert.equal(parseServiceName('Cafe\u0301'), 'Café');
    assert.equal(parseServiceName('Plain name'), 'Plain name');
  });

  it('refuses leading or trailing spaces of any kind', () => {
    for (const raw of [' Shop', 'Shop ', '\u00A0Shop', 'Shop\u3000', '\tShop']) refused(raw, /begin or end with spaces|cannot be shown/);
  });

  it('refuses invisible characters', () => {
    for (const raw of ['Sh\u200Bop', 'Sh\u200Dop', 'Shop\u2060x', 'S\u034Fhop', 'Sh\uFE0Fop', 'Shop\u202Egnp', 'Sh\u3164op', 'Sh\u2800op']) {
      refused(raw, /cannot be shown/);
    }
  });

  it('refuses what SPEC 6.1 refused before: nothing, a repeat, over 100 characters', () => {
    refused(undefined, /no name/);
    refused(['a', 'b'], /more than once/);
    refused('x'.repeat(101), /at most 100/);
  });
});

describe('NameGuard: no generic name confusable with a registered application', () => {
  const guard = new NameGuard(async () => [application({ id: 'diary', name: 'My Diary' })], 0);

  it('refuses a look-alike of the id or of the name, and lets others through', async () => {
    for (const name of ['DIАRY', 'Diary', 'My Diary', 'my-diary', 'Μy Dіary']) {
      await assert.rejects(guard.check(name), (err: unknown) => err instanceof InvalidInput && /looks like the registered application/.test(err.detail), name);
    }
    await guard.check('Dairy Farm');
    await guard.check('Some Website');
  });
});
