import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registration } from '../support/fixtures.js';
import { FormClient, textOf, valueOf } from '../support/forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

const NEW_PASSWORD = 'amber quartz ferry lullaby';
const DEMO_REDIRECT = 'http://demo.localhost:4000/callback';

let server: TestServer;

const NOTES = registration({
  id: 'notes',
  description: 'Keeps your notes',
  homepage: 'https://notes.example',
  redirectUris: ['http://notes.localhost:4001/callback'],
});

before(async () => {
  server = await startTestServer();
  const reply = await server.call(null, '/api/admin/applications', {
    method: 'POST',
    headers: { authorization: `Bearer ${server.config.adminToken}` },
    body: NOTES,
  });
  assert.equal(reply.status, 201, reply.text);
});
after(() => server.stop());

/** A browser that logged in to the dashboard of `hat`. */
async function loggedIn(hat: string, password = STRONG_PASSWORD): Promise<FormClient> {
  const browser = new FormClient(server, hat);
  await browser.get('/');
  const reply = await browser.post('/login', { password });
  assert.equal(reply.status, 303, `login to ${hat}: ${reply.status}`);
  return browser;
}

async function validate(hat: string, token: string): Promise<number> {
  return (await server.call(hat, '/users/access_token/validate', { headers: { 'x-auth-token': token } })).status;
}

/** Logs in to the demo website through /hatlogin and approves it; returns its validate token. */
async function approveWebsite(browser: FormClient, name = 'Demo site', redirect = DEMO_REDIRECT): Promise<string> {
  const page = await browser.get(`/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent(redirect)}`);
  assert.equal(page.status, 200, page.text.slice(0, 300));
  const pending = valueOf(page.text, 'pending');
  assert.ok(pending, 'the approval page was shown');
  const reply = await browser.post('/hatlogin/approve', { pending, name, redirect });
  assert.equal(reply.status, 303);
  const token = new URL(String(reply.headers.location)).searchParams.get('token');
  assert.ok(token);
  return token;
}

async function activityJson(browser: FormClient): Promise<Array<Record<string, string>>> {
  const reply = await browser.get('/activity.json');
  assert.equal(reply.status, 200);
  return reply.json().entries;
}

describe('Logging in to the dashboard (GET / and POST /login)', () => {
  before(() => server.createHat('logan'));

  it('shows the login page at / when not logged in, and nothing of the dashboard', async () => {
    const page = await server.call('logan', '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.text, /<h1 id="login-title">Log in to your HAT<\/h1>/);
    assert.match(page.text, /<form method="post" action="\/login"/);
    assert.doesNotMatch(page.text, /Services with access/);
  });

  it('logs in with the password: 303 to /, a new session identifier, and the dashboard', async () => {
    const browser = new FormClient(server, 'logan');
    await browser.get('/');
    const before = browser.cookieHeader;
    const reply = await browser.post('/login', { password: STRONG_PASSWORD });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    assert.notEqual(browser.cookieHeader, before, 'the session starts over under a new identifier');
    const page = await browser.get('/');
    assert.match(page.text, /<h2 id="access-title">Services with access<\/h2>/);
    assert.match(page.text, /<h2 id="activity-title">Activity<\/h2>/);
  });

  it('answers a wrong password with 401 and a generic message, and logs the attempt with the client address', async () => {
    const browser = new FormClient(server, 'logan');
    await browser.get('/');
    const reply = await browser.post('/login', { password: 'not the password at all' });
    assert.equal(reply.status, 401);
    assert.equal(textOf(reply.text, 'login-error'), 'That password is not right. Please try again.');
    const owner = await loggedIn('logan');
    const entries = await activityJson(owner);
    const failed = entries.find((e) => e.type === 'login_failed');
    assert.ok(failed, 'the failure is in the log');
    assert.equal(failed.via, 'dashboard');
    assert.equal(failed.clientIp, '127.0.0.1');
  });

  it('refuses a login form without its CSRF token (403) and stays logged out', async () => {
    const browser = new FormClient(server, 'logan');
    await browser.get('/');
    const reply = await browser.post('/login', { password: STRONG_PASSWORD, _csrf: null });
    assert.equal(reply.status, 403);
    const page = await browser.get('/');
    assert.match(page.text, /Log in to your HAT/);
  });

  it('asks again when the login form outlived its session (403, no login)', async () => {
    const browser = new FormClient(server, 'logan');
    await browser.get('/');
    browser.forgetCookies();
    const reply = await browser.post('/login', { password: STRONG_PASSWORD });
    assert.equal(reply.status, 403);
    assert.equal(textOf(reply.text, 'login-error'), 'The login form expired. Please enter your password again.');
    assert.equal(reply.headers.location, undefined);
  });

  it('refuses a login body that is not a form (415)', async () => {
    const browser = new FormClient(server, 'logan');
    await browser.get('/');
    const reply = await server.call('logan', '/login', {
      method: 'POST',
      headers: { cookie: browser.cookieHeader, accept: 'text/html' },
      body: { password: STRONG_PASSWORD },
    });
    assert.equal(reply.status, 415);
  });

  it('slows down repeated wrong passwords: 429 with Retry-After after ten from one client', async () => {
    await server.createHat('hammered');
    const browser = new FormClient(server, 'hammered');
    await browser.get('/');
    for (let i = 0; i < 10; i++) {
      assert.equal((await browser.post('/login', { password: `wrong guess number ${i}` })).status, 401);
    }
    const reply = await browser.post('/login', { password: STRONG_PASSWORD });
    assert.equal(reply.status, 429);
    assert.match(String(reply.headers['retry-after']), /^[1-9][0-9]*$/);
    assert.match(textOf(reply.text, 'login-error'), /Too many wrong passwords/);
  });
});

describe('Logging out (POST /logout)', () => {
  before(() => server.createHat('lou'));

  it('ends the session for real: the old cookie no longer opens the dashboard', async () => {
    const browser = await loggedIn('lou');
    const cookie = browser.cookieHeader;
    await browser.get('/');
    const reply = await browser.post('/logout', {});
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/?logged-out');
    const after = await browser.get('/?logged-out');
    assert.match(after.text, /You have logged out\./);
    const replay = await server.call('lou', '/', { headers: { cookie } });
    assert.match(replay.text, /Log in to your HAT/);
    assert.doesNotMatch(replay.text, /Services with access/);
    const owner = await loggedIn('lou');
    assert.ok((await activityJson(owner)).some((e) => e.type === 'logout' && e.via === 'dashboard'));
  });

  it('refuses a logout without the CSRF token (403) and stays logged in', async () => {
    const browser = await loggedIn('lou');
    await browser.get('/');
    const reply = await browser.post('/logout', { _csrf: 'forged' });
    assert.equal(reply.status, 403);
    assert.match((await browser.get('/')).text, /Services with access/);
  });
});

describe('Approved websites on the dashboard', () => {
  before(() => server.createHat('wendy'));

  it('lists an approved website with its host and when it last logged in', async () => {
    const browser = await loggedIn('wendy');
    await approveWebsite(browser, 'Listed site', 'http://listed.localhost:4000/cb');
    const page = await browser.get('/');
    assert.match(page.text, /<span class="service-name">Listed site<\/span> <span class="badge website">Website<\/span>/);
    assert.match(page.text, /<p class="service-host mono">listed\.localhost:4000<\/p>/);
    assert.match(page.text, /<dt>Last logged in<\/dt><dd><time class="js-local-time" datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time>/);
  });

  it('asks before revoking a website (SPEC 7): the confirmation page changes nothing, its form revokes', async () => {
    const browser = await loggedIn('wendy');
    const token = await approveWebsite(browser);
    assert.equal(await validate('wendy', token), 200);
    const page = await browser.get('/');
    const link = /href="(\/dashboard\/websites\/[^"]+\/revoke)">Revoke<span class="visually-hidden"> Demo site at demo\.localhost:4000/.exec(page.text);
    assert.ok(link, 'the website has a Revoke link');
    assert.doesNotMatch(page.text, /<form method="post" action="\/dashboard\/websites\//, 'no one-click revoke form on the dashboard');

    const confirm = await browser.get(link[1]!);
    assert.equal(confirm.status, 200);
    assert.equal(confirm.headers['cache-control'], 'no-store');
    assert.match(confirm.text, /<h1 id="revoke-title">Revoke <span class="mono">demo\.localhost:4000<\/span>\?<\/h1>/);
    assert.match(confirm.text, /calls itself “<span class="service-name">Demo site<\/span>”/);
    assert.match(confirm.text, /It will no longer learn that you own this HAT/);
    assert.match(confirm.text, new RegExp(`<form method="post" action="${link[1]!}">\\s*<input type="hidden" name="_csrf" value="[^"]+">`));
    assert.match(confirm.text, /<a class="button secondary" href="\/#access">Keep<span class="visually-hidden"> Demo site/);
    assert.equal(await validate('wendy', token), 200, 'showing the confirmation revokes nothing');

    const reply = await browser.post(link[1]!, {});
    assert.equal(reply.status, 303);
    assert.equal(await validate('wendy', token), 401);
    const after = await browser.get('/');
    assert.match(after.text, /Demo site at demo\.localhost:4000 no longer has access/);
    assert.doesNotMatch(after.text, /Revoke<span class="visually-hidden"> Demo site/);
    const entries = await activityJson(browser);
    assert.equal(entries[0]!.type, 'revocation');
    assert.equal(entries[0]!.service, 'Demo site');
  });

  it('answers 404 for a website that is not approved on this HAT, to confirm or to revoke', async () => {
    const browser = await loggedIn('wendy');
    await browser.get('/');
    const confirm = await browser.get('/dashboard/websites/00000000-0000-4000-8000-000000000000/revoke');
    assert.equal(confirm.status, 404);
    const reply = await browser.post('/dashboard/websites/00000000-0000-4000-8000-000000000000/revoke', {});
    assert.equal(reply.status, 404);
    assert.match(reply.text, /This HAT has no such approved service/);
  });

  it('sends a browser that is not logged in from a confirmation page to the login page', async () => {
    const owner = await loggedIn('wendy');
    await approveWebsite(owner, 'Asked about', 'http://asked.localhost:4000/cb');
    const link = /href="(\/dashboard\/websites\/[^"]+\/revoke)">Revoke<span class="visually-hidden"> Asked about/.exec((await owner.get('/')).text)![1]!;
    const stranger = new FormClient(server, 'wendy');
    const reply = await stranger.get(link);
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    assert.doesNotMatch(reply.text, /Asked about/);
  });

  it('does not revoke another HAT’s approval by its id (404)', async () => {
    await server.createHat('other-wendy');
    const other = await loggedIn('other-wendy');
    await approveWebsite(other, 'Theirs', 'http://theirs.localhost:4000/cb');
    const id = /href="\/dashboard\/websites\/([^"/]+)\/revoke"/.exec((await other.get('/')).text)![1]!;
    const browser = await loggedIn('wendy');
    await browser.get('/');
    assert.equal((await browser.get(`/dashboard/websites/${id}/revoke`)).status, 404);
    assert.equal((await browser.post(`/dashboard/websites/${id}/revoke`, {})).status, 404);
    assert.match((await other.get('/')).text, /Revoke<span class="visually-hidden"> Theirs/);
  });

  it('refuses a revoke form without a valid CSRF token (403): the token keeps working', async () => {
    const browser = await loggedIn('wendy');
    const token = await approveWebsite(browser, 'Kept site', 'http://kept.localhost:4000/cb');
    const page = await browser.get('/');
    const action = /href="(\/dashboard\/websites\/[^"]+\/revoke)">Revoke<span class="visually-hidden"> Kept site/.exec(page.text)![1]!;
    assert.equal((await browser.post(action, { _csrf: null })).status, 403);
    assert.equal((await browser.post(action, { _csrf: 'made-up' })).status, 403);
    assert.equal(await validate('wendy', token), 200);
  });

  it('sends a revoke form without a logged-in session to the login page, and changes nothing', async () => {
    const browser = await loggedIn('wendy');
    const token = await approveWebsite(browser, 'Still here', 'http://still.localhost:4000/cb');
    const action = /href="(\/dashboard\/websites\/[^"]+\/revoke)">Revoke<span class="visually-hidden"> Still here/.exec((await browser.get('/')).text)![1]!;
    const stranger = new FormClient(server, 'wendy');
    await stranger.get('/');
    const reply = await stranger.post(action, {});
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    assert.match((await stranger.get('/')).text, /Your session has ended\. Please log in again\./);
    assert.equal(await validate('wendy', token), 200);
  });

  it('refuses a revoke body that is not a form (415)', async () => {
    const browser = await loggedIn('wendy');
    await browser.get('/');
    const reply = await server.call('wendy', '/dashboard/websites/x/revoke', {
      method: 'POST',
      headers: { cookie: browser.cookieHeader, accept: 'text/html', 'content-type': 'text/plain' },
      body: `_csrf=${browser.csrf}`,
    });
    assert.equal(reply.status, 415);
  });
});

describe('Applications on the dashboard', () => {
  before(() => server.createHat('appy'));

  it('lists a registered application it has not enabled, with what it would be allowed, and enables it', async () => {
    const browser = await loggedIn('appy');
    const page = await browser.get('/');
    assert.match(page.text, /<h3 id="avail-notes-name"><span class="service-name">Notes<\/span><\/h3>/);
    assert.match(page.text, /Would be allowed to use:[^]*?See, add and change your notes data<\/span>\s*<span class="access write">read and write<\/span>[^]*?See your profile data<\/span>\s*<span class="access read">read only<\/span>/);
    const reply = await browser.post('/dashboard/applications/notes/enable', { permissions: 'notes:write,profile:read' });
    assert.equal(reply.status, 303);
    const after = await browser.get('/');
    assert.match(after.text, /Notes is enabled/);
    assert.match(after.text, /<h3 id="app-notes-name"><span class="service-name">Notes<\/span> <span class="tag" title="[^"]*">Registered on this server<\/span><\/h3>/);
    // A neutral tag (SPEC 6.9), not the green badge that read as "vetted".
    assert.doesNotMatch(after.text, /Registered application|class="badge"/);
    assert.doesNotMatch(after.text, /id="avail-notes-name"/);
    const entries = await activityJson(browser);
    assert.equal(entries[0]!.type, 'application_enabled');
    assert.equal(entries[0]!.via, 'dashboard');
  });

  it('revokes an enabled application with one form: its tokens are refused at once', async () => {
    const browser = await loggedIn('appy');
    await browser.get('/');
    await browser.post('/dashboard/applications/notes/enable', { permissions: 'notes:write,profile:read' });
    const owner = await server.ownerToken('appy');
    const issued = await server.call('appy', '/api/v2.6/applications/notes/access-token', { headers: { 'x-auth-token': owner } });
    assert.equal(issued.status, 200);
    const appToken = issued.json().accessToken as string;
    assert.equal(await validate('appy', appToken), 200);
    assert.match((await browser.get('/')).text, /<a class="button danger" href="\/dashboard\/applications\/notes\/disable">Revoke<span class="visually-hidden"> Notes/);
    // The confirmation page says what stops, and changes nothing (SPEC 7).
    const confirm = await browser.get('/dashboard/applications/notes/disable');
    assert.equal(confirm.status, 200);
    assert.match(confirm.text, /<h1 id="revoke-title">Revoke <span class="service-name">Notes<\/span>\?<\/h1>/);
    assert.match(confirm.text, /It will no longer be able to use your data: notes \(read and write\), profile \(read only\)\./);
    assert.match(confirm.text, /<form method="post" action="\/dashboard\/applications\/notes\/disable">/);
    assert.equal(await validate('appy', appToken), 200, 'showing the confirmation revokes nothing');
    const reply = await browser.post('/dashboard/applications/notes/disable', {});
    assert.equal(reply.status, 303);
    assert.equal(await validate('appy', appToken), 401);
    const page = await browser.get('/');
    assert.match(page.text, /Notes is disabled\. Its tokens stopped working\./);
    assert.match(page.text, /id="avail-notes-name"/, 'it can be enabled again');
    assert.match(page.text, /You revoked it: <time class="js-local-time"/);
  });

  it('says nothing changed when the application was not enabled (a second click)', async () => {
    const browser = await loggedIn('appy');
    await browser.get('/');
    const reply = await browser.post('/dashboard/applications/notes/disable', {});
    assert.equal(reply.status, 303);
    assert.match((await browser.get('/')).text, /That application was not enabled; nothing changed\./);
    // Its confirmation page has nothing to ask about.
    const confirm = await browser.get('/dashboard/applications/notes/disable');
    assert.equal(confirm.status, 303);
    assert.match((await browser.get('/')).text, /That service has no access; nothing changed\./);
    assert.equal((await browser.get('/dashboard/applications/nope/disable')).status, 404);
  });

  it('enables nothing when the application asks for something else than the page showed', async () => {
    const browser = await loggedIn('appy');
    await browser.get('/');
    const reply = await browser.post('/dashboard/applications/notes/enable', { permissions: 'profile:read' });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/#available');
    const page = await browser.get('/');
    assert.match(page.text, /Notes changed what it asks for\. Nothing was enabled/);
    assert.match(page.text, /id="avail-notes-name"/);
  });

  it('answers 404 for an application that is not registered, to enable or to revoke', async () => {
    const browser = await loggedIn('appy');
    await browser.get('/');
    for (const path of ['/dashboard/applications/nope/enable', '/dashboard/applications/nope/disable', '/dashboard/applications/NOT%20AN%20ID/disable']) {
      const reply = await browser.post(path, { permissions: '' });
      assert.equal(reply.status, 404, path);
      assert.match(reply.text, /No application .* is registered on this cluster/);
    }
  });

  it('refuses enable and revoke forms without a valid CSRF token (403)', async () => {
    const browser = await loggedIn('appy');
    await browser.get('/');
    assert.equal((await browser.post('/dashboard/applications/notes/enable', { permissions: 'notes:write,profile:read', _csrf: null })).status, 403);
    assert.match((await browser.get('/')).text, /id="avail-notes-name"/, 'still not enabled');
    await browser.post('/dashboard/applications/notes/enable', { permissions: 'notes:write,profile:read' });
    assert.equal((await browser.post('/dashboard/applications/notes/disable', { _csrf: 'forged' })).status, 403);
    assert.match((await browser.get('/')).text, /id="app-notes-name"/, 'still enabled');
  });

  it('asks again when an enabled application comes to want more, and keeps to the old consent meanwhile', async () => {
    const admin = { authorization: `Bearer ${server.config.adminToken}` };
    const growing = { ...NOTES, id: 'growing', name: 'Growing', permissions: [{ namespace: 'profile', access: 'read' }] };
    assert.equal((await server.call(null, '/api/admin/applications', { method: 'POST', headers: admin, body: growing })).status, 201);
    const browser = await loggedIn('appy');
    await browser.get('/');
    assert.equal((await browser.post('/dashboard/applications/growing/enable', { permissions: 'profile:read' })).status, 303);
    const wider = { ...growing, version: '2.0.0', permissions: [...growing.permissions, { namespace: 'notes', access: 'write' }] };
    assert.equal((await server.call(null, '/api/admin/applications/growing', { method: 'PUT', headers: admin, body: wider })).status, 200);

    const page = await browser.get('/');
    const card = page.text.slice(page.text.indexOf('id="app-growing-name"'), page.text.indexOf('/dashboard/applications/growing/disable'));
    assert.match(card, /May use:[^]*?See your profile data<\/span>\s*<span class="access read">read only<\/span>/);
    // Consenting again: the added permission is marked New, the one it had is already allowed (issue 12).
    const asks = card.slice(card.indexOf('Growing now asks for more'));
    assert.match(asks, /<li class="permission is-new">\s*<span class="permission-text">See, add and change your notes data<\/span>\s*<span class="access write">read and write<\/span>\s*<span class="mark new">New<\/span>/);
    assert.match(asks, /<li class="permission">\s*<span class="permission-text">See your profile data<\/span>\s*<span class="access read">read only<\/span>\s*<span class="mark allowed">already allowed<\/span>/);
    assert.match(card, /<input type="hidden" name="permissions" value="notes:write,profile:read">/);

    assert.equal((await browser.post('/dashboard/applications/growing/enable', { permissions: 'notes:write,profile:read' })).status, 303);
    const after = await browser.get('/');
    assert.doesNotMatch(after.text, /Growing now asks for more|class="mark /);
    const status = await server.call('appy', '/api/v2.6/applications/growing', { headers: { 'x-auth-token': await server.ownerToken('appy') } });
    assert.equal(status.json().active, true);
  });

  it('answers GET on a form address with 405', async () => {
    const browser = await loggedIn('appy');
    assert.equal((await browser.get('/dashboard/applications/notes/enable')).status, 405);
  });
});

describe('The activity log on the dashboard', () => {
  before(async () => {
    await server.createHat('active');
    // 24 logins through the API, plus the one of createHat: two pages of 20.
    for (let i = 0; i < 24; i++) await server.ownerToken('active');
  });

  it('shows the newest eight entries on the dashboard, with a link to all of them', async () => {
    const browser = await loggedIn('active');
    const page = await browser.get('/');
    assert.match(page.text, /<caption>\s*Logins, approvals, revocations and failed attempts, newest first\./);
    const times = [...page.text.matchAll(/<td role="cell" data-label="When" class="when"><time class="js-local-time" datetime="([^"]+)">/g)].map((m) => m[1]!);
    assert.equal(times.length, 8);
    assert.deepEqual([...times].sort().reverse(), times, 'newest first');
    assert.match(page.text, /Showing 1–8 of 26\./);
    assert.match(page.text, /<a href="\/activity">See all 26 entries<\/a>/);
    assert.match(page.text, /<script src="\/static\/js\/local-time\.js" defer><\/script>/);
  });

  it('shows the whole log on /activity, twenty entries a page, in a table with a caption and column headers', async () => {
    const browser = await loggedIn('active');
    const page = await browser.get('/activity');
    assert.equal(page.status, 200);
    for (const header of ['When', 'What', 'Service', 'From address', 'Through']) {
      assert.match(page.text, new RegExp(`<th scope="col" role="columnheader">${header}</th>`));
    }
    const times = [...page.text.matchAll(/<td role="cell" data-label="When" class="when"><time class="js-local-time" datetime="([^"]+)">/g)].map((m) => m[1]!);
    assert.equal(times.length, 20);
    assert.deepEqual([...times].sort().reverse(), times, 'newest first');
    assert.match(page.text, /Showing 1–20 of 2[0-9]\./);
    assert.match(page.text, /<a class="button secondary" href="\/activity\?page=2" rel="next">Older →<\/a>/);
    assert.match(page.text, /<td role="cell" data-label="What">\s*<span class="what">Logged in<\/span>\s*<\/td>/);
    const anonymous = await new FormClient(server, 'active').get('/activity');
    assert.equal(anonymous.status, 303, 'only for the logged-in owner');
    assert.equal(anonymous.headers.location, '/');
  });

  it('shows the next page with ?page=2, and the last page for a page past the end; the dashboard\'s old ?page= leads there', async () => {
    const browser = await loggedIn('active');
    const second = await browser.get('/activity?page=2');
    assert.match(second.text, /Showing 21–2[0-9] of 2[0-9]\./);
    assert.match(second.text, /rel="prev">← Newer<\/a>/);
    const beyond = await browser.get('/activity?page=99');
    assert.equal(beyond.status, 200);
    assert.match(beyond.text, /Page 2 of 2/);
    const old = await browser.get('/?page=2');
    assert.equal(old.status, 303);
    assert.equal(old.headers.location, '/activity?page=2');
  });

  it('refuses a page that is not a whole number from 1 (400)', async () => {
    const browser = await loggedIn('active');
    for (const bad of ['0', '-1', 'two', '1.5', '99999999999']) {
      for (const path of ['/', '/activity']) {
        const reply = await browser.get(`${path}?page=${bad}`);
        assert.equal(reply.status, 400, `${path} ${bad}`);
        assert.match(reply.text, /page must be a whole number from 1 up/);
      }
    }
  });

  it('shows failed attempts with their client address', async () => {
    await server.call('active', '/users/access_token', { headers: { username: 'active', password: 'wrong-password-here' } });
    const browser = await loggedIn('active');
    const page = await browser.get('/');
    assert.match(page.text, /<tr role="row" class="failed">[^]*?Wrong password[^]*?data-label="From address" class="from"><span class="mono">127\.0\.0\.1<\/span><\/td>\s*<td role="cell" data-label="Through" class="through">API<\/td>/);
  });

  it('downloads the whole log as JSON, newest first, as an attachment that is never cached', async () => {
    const browser = await loggedIn('active');
    const reply = await browser.get('/activity.json');
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(reply.headers['cache-control'], 'no-store');
    assert.match(String(reply.headers['content-disposition']), /^attachment; filename="activity-active-\d{4}-\d\d-\d\d\.json"$/);
    const body = reply.json();
    assert.equal(body.hat, server.hatHost('active'));
    assert.ok(body.entries.length >= 27);
    const ats = body.entries.map((e: { at: string }) => e.at);
    assert.deepEqual([...ats].sort().reverse(), ats);
    assert.equal(new Set(body.entries.map((e: { id: string }) => e.id)).size, body.entries.length);
    assert.ok(body.entries.some((e: { type: string; clientIp?: string }) => e.type === 'login_failed' && e.clientIp === '127.0.0.1'));
  });

  it('gives the download only to a logged-in session (the owner token does not count)', async () => {
    const stranger = new FormClient(server, 'active');
    const reply = await stranger.get('/activity.json');
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    assert.doesNotMatch(reply.text, /login_failed/);
    const withToken = await server.call('active', '/activity.json', { headers: { 'x-auth-token': await server.ownerToken('active') } });
    assert.equal(withToken.status, 303);
  });
});

describe('Changing the password on the dashboard', () => {
  before(() => server.createHat('pat'));

  const change = (browser: FormClient, fields: Record<string, string | null>) => browser.post('/dashboard/password', fields);

  async function passwordPage(): Promise<FormClient> {
    const browser = await loggedIn('pat');
    const page = await browser.get('/dashboard/password');
    assert.equal(page.status, 200);
    return browser;
  }

  it('sends a browser that is not logged in to the login page', async () => {
    const reply = await server.call('pat', '/dashboard/password');
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
  });

  it('requires the current password (400 at its field)', async () => {
    const browser = await passwordPage();
    const reply = await change(browser, { oldPassword: '', newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    assert.equal(reply.status, 400);
    assert.equal(textOf(reply.text, 'oldPassword-error'), 'Error: Enter your current password');
  });

  it('refuses a weak new password with the strength advice (400 at its field)', async () => {
    const browser = await passwordPage();
    const reply = await change(browser, { oldPassword: STRONG_PASSWORD, newPassword: 'password123', newPasswordRepeat: 'password123' });
    assert.equal(reply.status, 400);
    assert.match(textOf(reply.text, 'newPassword-error'), /^Error: The new password is too easy to guess \(strength \d of 4, at least 3 needed\)/);
  });

  it('refuses a new password made of the HAT name (the strength rule knows it)', async () => {
    const browser = await passwordPage();
    const reply = await change(browser, { oldPassword: STRONG_PASSWORD, newPassword: 'pat-pat-pat-pat', newPasswordRepeat: 'pat-pat-pat-pat' });
    assert.equal(reply.status, 400);
    assert.match(textOf(reply.text, 'newPassword-error'), /too easy to guess/);
  });

  it('refuses a repeat that does not match (400 at its field)', async () => {
    const browser = await passwordPage();
    const reply = await change(browser, { oldPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD + '!' });
    assert.equal(reply.status, 400);
    assert.equal(textOf(reply.text, 'newPasswordRepeat-error'), 'Error: The repeated password does not match the new password');
    assert.equal(valueOf(reply.text, 'newPassword'), '', 'passwords are never sent back');
  });

  it('refuses a wrong current password (403) and keeps the old one', async () => {
    const browser = await passwordPage();
    const reply = await change(browser, { oldPassword: 'not my password at all', newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    assert.equal(reply.status, 403);
    assert.equal(textOf(reply.text, 'oldPassword-error'), 'Error: Your current password is not right');
    assert.ok(await server.ownerToken('pat', STRONG_PASSWORD));
  });

  it('refuses the form without a valid CSRF token (403) and changes nothing', async () => {
    const browser = await passwordPage();
    for (const token of [null, 'forged']) {
      const reply = await change(browser, { oldPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD, _csrf: token });
      assert.equal(reply.status, 403);
    }
    assert.ok(await server.ownerToken('pat', STRONG_PASSWORD));
  });

  it('refuses a body that is not a form (415)', async () => {
    const browser = await passwordPage();
    const reply = await server.call('pat', '/dashboard/password', {
      method: 'POST',
      headers: { cookie: browser.cookieHeader, accept: 'text/html' },
      body: { oldPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD },
    });
    assert.equal(reply.status, 415);
  });

  it('changes it: this browser stays logged in, other sessions and owner tokens end, the new password works', async () => {
    const other = await loggedIn('pat');
    const oldToken = await server.ownerToken('pat');
    const browser = await passwordPage();
    const cookieBefore = browser.cookieHeader;
    const reply = await change(browser, { oldPassword: STRONG_PASSWORD, newPassword: NEW_PASSWORD, newPasswordRepeat: NEW_PASSWORD });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    assert.notEqual(browser.cookieHeader, cookieBefore, 'this browser got a new session');

    const mine = await browser.get('/');
    assert.match(mine.text, /Your password is changed\. You are still logged in here/);
    const theirs = await other.get('/');
    assert.match(theirs.text, /Log in to your HAT/);
    const replay = await server.call('pat', '/', { headers: { cookie: cookieBefore } });
    assert.match(replay.text, /Log in to your HAT/, 'the old session of this browser ended too');
    assert.equal(await validate('pat', oldToken), 401);

    await assert.rejects(server.ownerToken('pat', STRONG_PASSWORD));
    assert.ok(await server.ownerToken('pat', NEW_PASSWORD));
    assert.equal((await new FormClient(server, 'pat').post('/login', { password: NEW_PASSWORD, _csrf: null })).status, 403);
    const fresh = await loggedIn('pat', NEW_PASSWORD);
    assert.ok((await activityJson(fresh)).some((e) => e.type === 'password_changed' && e.via === 'dashboard'));
  });
});
