import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { FormClient } from '../support/forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';
import { linkIn, SmtpPeer } from '../support/smtp.js';

/**
 * SPEC 13 over real HTTP, with a real SMTP peer: "Forgot password?", the reset link, the
 * confirmation of the email address at sign-up and on a change. Each test sends from its own
 * client address (TRUST_PROXY) so that the per-client limit counts only that test.
 */
const NEW_PASSWORD = 'violet kettle orbit pancake';
let server: TestServer;
let smtp: SmtpPeer;
let client = 0;

/** A form client with its own address, for one HAT host (or the cluster, null). */
function browser(hat: string | null): FormClient & { ip: string } {
  const ip = `10.9.${Math.floor(++client / 250)}.${client % 250}`;
  const form = new FormClient(server, hat) as FormClient & { ip: string };
  form.ip = ip;
  const get = form.get.bind(form);
  const post = form.post.bind(form);
  form.get = (p, h = {}) => get(p, { 'x-forwarded-for': ip, ...h });
  form.post = (p, f, h = {}) => post(p, f, { 'x-forwarded-for': ip, ...h });
  return form;
}

/** Asks for a reset link from the cluster's page and returns the link from the mail. */
async function requestLink(hat: string, identifier = hat, skip = 0): Promise<string> {
  const page = browser(null);
  await page.get('/recover');
  const sent = await page.post('/recover', { identifier });
  assert.equal(sent.status, 303);
  assert.equal(sent.headers.location, '/recover/sent');
  return linkIn(await smtp.mailTo(`${hat}@example.com`, /Reset the password/, skip), '/recover/reset?token=');
}

function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

async function activityTypes(hat: string): Promise<string[]> {
  const token = await server.ownerToken(hat, NEW_PASSWORD).catch(() => server.ownerToken(hat));
  void token;
  const db = new Database(path.join(server.dataDir, 'hat.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT type FROM activity WHERE hat = ? ORDER BY seq').pluck().all(hat) as string[]);
  } finally {
    db.close();
  }
}

before(async () => {
  smtp = await SmtpPeer.start();
  server = await startTestServer({ SMTP_URL: smtp.url, MAIL_FROM: 'HAT <hat@example.org>', TRUST_PROXY: 'true' });
});
after(async () => {
  await server?.stop();
  await smtp?.stop();
});

describe('account recovery by email (SPEC 13)', () => {
  it('a reset link from the mail sets a new password once, and ends every session and token', async () => {
    await server.createHat('rosa');
    const oldToken = await server.ownerToken('rosa');
    const loggedIn = browser('rosa');
    await loggedIn.get('/');
    assert.equal((await loggedIn.post('/login', { password: STRONG_PASSWORD })).status, 303);
    assert.match((await loggedIn.get('/')).text, /Log out/);

    const link = await requestLink('rosa');
    const mail = smtp.received.find((m) => m.subject.includes('Reset the password'))!;
    assert.equal(mail.to[0], 'rosa@example.com');
    assert.match(mail.raw, /^From: HAT <hat@example\.org>/m);
    assert.ok(link.startsWith(`http://${server.hatHost('rosa')}/recover/reset?token=`), link);

    const resetter = browser('rosa');
    const form = await resetter.get(pathOf(link));
    assert.equal(form.status, 200);
    assert.match(form.text, /Choose a new password/);
    const token = new URL(link).searchParams.get('token')!;
    // A weak password is refused and does not use the link up.
    const weak = await resetter.post('/recover/reset', { token, newPassword: 'password1', newPasswordRepeat: 'password1' });
    assert.equal(weak.status, 400);
    assert.match(weak.text, /at least 10 characters|too easy/);
    const done = await resetter.post('/recover/reset', { token, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    assert.equal(done.status, 303);
    assert.equal(done.headers.location, '/?password-reset');

    // The old password, the old token and the old session are all gone; the new password works.
    assert.equal((await server.call('rosa', '/users/access_token', { headers: { username: 'rosa', password: STRONG_PASSWORD } })).status, 401);
    assert.equal((await server.call('rosa', '/api/v2.6/data/x/y', { headers: { 'x-auth-token': oldToken } })).status, 401);
    assert.doesNotMatch((await loggedIn.get('/')).text, /Log out/);
    assert.ok(await server.ownerToken('rosa', NEW_PASSWORD));

    // The link works once.
    const again = await resetter.get(pathOf(link));
    assert.equal(again.status, 404);
    assert.match(again.text, /This link no longer works/);
    const reused = await resetter.post('/recover/reset', { token, newPassword: STRONG_PASSWORD, newPasswordRepeat: STRONG_PASSWORD });
    assert.equal(reused.status, 404);
    assert.ok(await server.ownerToken('rosa', NEW_PASSWORD));

    const types = await activityTypes('rosa');
    assert.ok(types.includes('password_reset_requested'), types.join());
    assert.ok(types.includes('password_reset'), types.join());
  });

  it('answers the same for an unknown name or email, and sends nothing', async () => {
    await server.createHat('sven');
    await smtp.mailTo('sven@example.com', /Confirm/);
    const before = smtp.received.length;
    const page = browser(null);
    await page.get('/recover');
    for (const identifier of ['nobody-here', 'nobody@example.com']) {
      const sent = await page.post('/recover', { identifier });
      assert.equal(sent.status, 303);
      assert.equal(sent.headers.location, '/recover/sent');
    }
    // By email, the real HAT gets its mail, and the answer was the same.
    const byEmail = await page.post('/recover', { identifier: 'SVEN@example.com' });
    assert.equal(byEmail.status, 303);
    assert.equal(byEmail.headers.location, '/recover/sent');
    await smtp.mailTo('sven@example.com', /Reset the password/);
    await server.services.links.settled();
    assert.equal(smtp.received.length, before + 1);
    const sentPage = await page.get('/recover/sent');
    assert.match(sentPage.text, /If this HAT exists, we sent a link/);
  });

  it('on a HAT host, asking for another HAT sends nothing', async () => {
    await server.createHat('tilda');
    await server.createHat('ugo');
    await server.services.links.settled();
    const before = smtp.received.filter((m) => m.to.includes('ugo@example.com')).length;
    const page = browser('tilda');
    const form = await page.get('/recover');
    assert.match(form.text, /value="tilda"/);
    assert.equal((await page.post('/recover', { identifier: 'ugo' })).status, 303);
    await server.services.links.settled();
    assert.equal(smtp.received.filter((m) => m.to.includes('ugo@example.com')).length, before);
  });

  it('a newer link voids the earlier one, and so does a password change', async () => {
    await server.createHat('vera');
    const first = await requestLink('vera', 'vera', 0);
    const second = await requestLink('vera', 'vera', 1);
    const page = browser('vera');
    assert.equal((await page.get(pathOf(first))).status, 404);
    assert.equal((await page.get(pathOf(second))).status, 200);
    // The dashboard's password change: the second link stops working too.
    const owner = browser('vera');
    await owner.get('/');
    await owner.post('/login', { password: STRONG_PASSWORD });
    await owner.get('/dashboard/password');
    const changed = await owner.post('/dashboard/password', {
      oldPassword: STRONG_PASSWORD,
      newPassword: NEW_PASSWORD,
      newPasswordRepeat: NEW_PASSWORD,
    });
    assert.equal(changed.status, 303);
    assert.equal((await page.get(pathOf(second))).status, 404);
  });

  it('an expired link is refused', async () => {
    await server.createHat('wanda');
    const link = await requestLink('wanda', 'wanda', 0);
    const db = new Database(path.join(server.dataDir, 'hat.sqlite'));
    try {
      db.prepare('UPDATE resets SET expires_at = ? WHERE hat = ?').run(Date.now() - 1, 'wanda');
    } finally {
      db.close();
    }
    const page = browser('wanda');
    const opened = await page.get(pathOf(link));
    assert.equal(opened.status, 404);
    assert.match(opened.text, /Send me a new link/);
  });

  it('sends at most 5 mails per HAT an hour, and refuses a client after 10 requests in 15 minutes', async () => {
    await server.createHat('xena');
    const page = browser(null);
    await page.get('/recover');
    for (let i = 0; i < 10; i++) assert.equal((await page.post('/recover', { identifier: 'xena' })).status, 303);
    await server.services.links.settled();
    assert.equal(smtp.received.filter((m) => m.to.includes('xena@example.com') && /Reset/.test(m.subject)).length, 5);
    const refused = await page.post('/recover', { identifier: 'xena' });
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.match(refused.text, /Too many requests from here/);
  });

  it('shows the form again on an expired form (403) or an empty name (400), with what was typed', async () => {
    const page = browser(null);
    await page.get('/recover');
    const expired = await page.post('/recover', { identifier: 'somebody', _csrf: 'stale' });
    assert.equal(expired.status, 403);
    assert.match(expired.text, /<div class="alert error" role="alert" id="recover-alert">This form expired\. Please send it again\.<\/div>/);
    assert.match(expired.text, /<input type="text" id="identifier" name="identifier" autocomplete="username" value="somebody"/);
    const empty = await page.post('/recover', { identifier: '  ' });
    assert.equal(empty.status, 400);
    assert.match(empty.text, /id="recover-error" role="alert"><span class="visually-hidden">Error:<\/span> Enter your HAT name or the email address on file/);
  });

  it('counts an IPv6 client per /64, as the login throttle does (SPEC 6.3): a new address in it is no fresh budget', async () => {
    const page = new FormClient(server, null);
    const from = (i: number) => ({ 'x-forwarded-for': `2001:db8:77:1::${(i + 1).toString(16)}` });
    await page.get('/recover', from(0));
    for (let i = 0; i < 10; i++) assert.equal((await page.post('/recover', { identifier: 'nobody-here' }, from(i))).status, 303);
    const refused = await page.post('/recover', { identifier: 'nobody-here' }, from(10));
    assert.equal(refused.status, 429, 'the eleventh request from the same /64 is refused');
    const elsewhere = await page.post('/recover', { identifier: 'nobody-here' }, { 'x-forwarded-for': '2001:db8:77:2::1' });
    assert.equal(elsewhere.status, 303, 'another /64 has its own count');
  });
});

describe('email confirmation (SPEC 13)', () => {
  it('sign-up sends a confirmation link; opening it marks the address confirmed, once', async () => {
    await server.createHat('yara');
    const mail = await smtp.mailTo('yara@example.com', /Confirm/);
    assert.match(mail.subject, /Confirm the email address/);
    const link = linkIn(mail, '/confirm-email?token=');
    const hat = async () => (await server.services.hats.find('yara'))!;
    assert.equal(await server.services.emails.isVerified(await hat()), false);
    const page = browser('yara');
    const opened = await page.get(pathOf(link));
    assert.equal(opened.status, 200);
    assert.match(opened.text, /Email address confirmed/);
    assert.equal(await server.services.emails.isVerified(await hat()), true);
    assert.equal((await page.get(pathOf(link))).status, 404);
  });

  it('a change needs the password, and happens when the link sent to the new address is opened', async () => {
    await server.createHat('zoe');
    const owner = browser('zoe');
    await owner.get('/');
    await owner.post('/login', { password: STRONG_PASSWORD });
    await owner.get('/dashboard/email');
    const wrong = await owner.post('/dashboard/email', { email: 'zoe.new@example.com', password: 'not the password' });
    assert.equal(wrong.status, 403);
    const taken = await owner.post('/dashboard/email', { email: 'yara@example.com', password: STRONG_PASSWORD });
    assert.equal(taken.status, 409);
    const asked = await owner.post('/dashboard/email', { email: 'Zoe.New@example.com', password: STRONG_PASSWORD });
    assert.equal(asked.status, 303);
    assert.match((await owner.get('/')).text, /We sent a link to zoe\.new@example\.com/);
    assert.equal((await server.services.hats.find('zoe'))!.email, 'zoe@example.com');
    const link = linkIn(await smtp.mailTo('zoe.new@example.com', /Confirm/), '/confirm-email?token=');
    // Opened on another HAT's host, it is not found and stays usable.
    assert.equal((await browser('yara').get(pathOf(link))).status, 404);
    assert.equal((await owner.get(pathOf(link))).status, 200);
    server.services.hats.forget('zoe');
    const changed = (await server.services.hats.find('zoe'))!;
    assert.equal(changed.email, 'zoe.new@example.com');
    assert.equal(await server.services.emails.isVerified(changed), true);
    // The new address logs in, and recovery mail goes there.
    assert.ok(await server.ownerToken('zoe'));
    const reset = browser(null);
    await reset.get('/recover');
    await reset.post('/recover', { identifier: 'zoe.new@example.com' });
    assert.match((await smtp.mailTo('zoe.new@example.com', /Reset the password/)).subject, /Reset the password/);
  });
});
