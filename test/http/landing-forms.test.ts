import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formMessage } from '../../src/http/routes/signup/form.js';
import { FormClient, textOf, valueOf } from '../support/forms.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.createHat('taken');
});
after(() => server.stop());

const valid = (name: string) => ({
  fullName: 'Ada Lovelace',
  username: name,
  email: `${name}@example.com`,
  pass: STRONG_PASSWORD,
  passRepeat: STRONG_PASSWORD,
});

async function signupPage(): Promise<FormClient> {
  const browser = new FormClient(server, null);
  const page = await browser.get('/signup');
  assert.equal(page.status, 200);
  assert.ok(browser.csrf, 'the sign-up page carries a CSRF token');
  return browser;
}

async function hatExists(name: string): Promise<boolean> {
  return (await server.call(name, '/publickey')).status === 200;
}

describe('The landing page (SPEC 9)', () => {
  it('says what a HAT is and offers sign-up and "go to my HAT"', async () => {
    const page = await server.call(null, '/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    assert.match(page.text, /<h1[^>]*>Your HAT: your own data server/);
    assert.match(page.text, /href="\/signup"/);
    assert.match(page.text, /<form method="get" action="\/go"/);
  });

  it('lets the "go to my HAT" form lead to a HAT host (CSP form-action covers the redirect)', async () => {
    const page = await server.call(null, '/');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, new RegExp(`form-action 'self' http://\\*\\.${server.clusterHost.replace(/\./g, '\\.')}(;|$)`));
    assert.match(csp, /frame-ancestors 'none'/);
  });
});

describe('Go to my HAT (GET /go)', () => {
  it('sends a known name to its HAT with 303', async () => {
    const reply = await server.call(null, '/go?name=taken');
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, `http://${server.hatHost('taken')}/`);
  });

  it('accepts the name in any case, or the whole address as typed', async () => {
    for (const typed of ['Taken', ` taken.${server.clusterHost} `, `http://taken.${server.clusterHost}/`]) {
      const reply = await server.call(null, `/go?name=${encodeURIComponent(typed)}`);
      assert.equal(reply.status, 303, typed);
      assert.equal(reply.headers.location, `http://${server.hatHost('taken')}/`, typed);
    }
  });

  it('asks for a name when none was typed (400 on the landing page)', async () => {
    const reply = await server.call(null, '/go?name=');
    assert.equal(reply.status, 400);
    assert.match(textOf(reply.text, 'go-error'), /Type the name of your HAT/);
    assert.match(reply.text, /id="go-name"[^>]*aria-invalid="true"/);
  });

  it('explains the name rule for a name that cannot be a HAT (400)', async () => {
    const reply = await server.call(null, '/go?name=' + encodeURIComponent('not_a name'));
    assert.equal(reply.status, 400);
    assert.match(textOf(reply.text, 'go-error'), /lowercase letters, digits and single hyphens/);
    assert.equal(valueOf(reply.text, 'name'), 'not_a name', 'what was typed stays in the field');
  });

  it('says so when there is no HAT of that name (404), and redirects nowhere', async () => {
    const reply = await server.call(null, '/go?name=nobody-here');
    assert.equal(reply.status, 404);
    assert.equal(reply.headers.location, undefined);
    assert.equal(textOf(reply.text, 'go-error'), 'Error: There is no HAT called "nobody-here" on this server');
  });

  it('escapes what was typed', async () => {
    const reply = await server.call(null, '/go?name=' + encodeURIComponent('<b>x</b>'));
    assert.equal(reply.status, 400);
    assert.ok(!reply.text.includes('<b>x</b>'));
    assert.ok(reply.text.includes('&lt;b&gt;x&lt;/b&gt;'));
  });
});

describe('The sign-up form (GET and POST /signup)', () => {
  it('is a page with a labelled field for each value of POST /api/signup and a CSRF token', async () => {
    const page = await server.call(null, '/signup');
    assert.equal(page.status, 200);
    assert.equal(page.headers['cache-control'], 'no-store');
    for (const field of ['fullName', 'username', 'email', 'pass', 'passRepeat']) {
      assert.match(page.text, new RegExp(`<label for="${field}">`), field);
      assert.notEqual(valueOf(page.text, field), null, field);
    }
    assert.match(page.text, /<form method="post" action="\/signup"/);
    assert.ok(valueOf(page.text, '_csrf'));
  });

  it('creates the HAT and shows "your HAT is ready at <address>" after a 303', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', valid('newcomer'));
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/signup/ready');
    const ready = await browser.get('/signup/ready');
    assert.equal(ready.status, 200);
    const address = server.hatHost('newcomer');
    assert.match(ready.text, new RegExp(`Your HAT is ready at <a class="mono" href="http://${address}/">${address}</a>`));
    // The way on is the one-time hand-off to the new HAT (test/http/signup-handoff.test.ts).
    assert.match(ready.text, new RegExp(`<form method="post" action="http://${address}/signup/welcome">`));
    assert.ok(await hatExists('newcomer'));
    assert.equal((await server.call('newcomer', '/users/access_token', { headers: { username: 'newcomer', password: encodeURIComponent(STRONG_PASSWORD) } })).status, 200);
  });

  it('shows "ready" only to the browser that signed up', async () => {
    const stranger = new FormClient(server, null);
    const reply = await stranger.get('/signup/ready');
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/signup');
  });

  // Each case breaks one field; the form must say what the API says, under that field.
  const oneBadField: Array<[string, Record<string, string>]> = [
    ['username', { username: 'ab' }],
    ['username', { username: 'Bad_Name' }],
    ['username', { username: 'admin' }],
    ['username', { username: 'x'.repeat(101) }],
    ['email', { email: 'not-an-address' }],
    ['pass', { pass: 'short', passRepeat: 'short' }],
    ['pass', { pass: 'passwordpassword', passRepeat: 'passwordpassword' }],
    ['passRepeat', { passRepeat: STRONG_PASSWORD + '!' }],
  ];
  for (const [field, change] of oneBadField) {
    it(`shows the API's message at the ${field} field for ${JSON.stringify(change).slice(0, 60)} (400)`, async () => {
      const body = { ...valid('onefield'), ...change };
      const api = await server.call(null, '/api/signup', { method: 'POST', body });
      assert.equal(api.status, 400);
      const browser = await signupPage();
      const reply = await browser.post('/signup', body);
      assert.equal(reply.status, 400);
      assert.equal(textOf(reply.text, `${field}-error`), 'Error: ' + formMessage(field, api.json().cause));
      assert.match(reply.text, new RegExp(`<input[^>]*id="${field}"[^>]*aria-invalid="true"`));
      assert.ok(!(await hatExists('onefield')));
    });
  }

  it('lists every bad field at once, in form order, each linked to its field', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { fullName: '', username: '1x', email: 'nope', pass: 'weak', passRepeat: '' });
    assert.equal(reply.status, 400);
    const links = [...reply.text.matchAll(/<li><a href="#(\w+)">/g)].map((m) => m[1]);
    assert.deepEqual(links, ['username', 'email', 'pass']);
    assert.match(reply.text, /<title>Error: /);
  });

  it('keeps what was entered, except the passwords, when it shows errors', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('keeper'), fullName: 'Ada <Byron>', email: 'bad', passRepeat: 'other' });
    assert.equal(reply.status, 400);
    assert.equal(valueOf(reply.text, 'fullName'), 'Ada <Byron>');
    assert.equal(valueOf(reply.text, 'username'), 'keeper');
    assert.equal(valueOf(reply.text, 'email'), 'bad');
    assert.equal(valueOf(reply.text, 'pass'), '');
    assert.equal(valueOf(reply.text, 'passRepeat'), '');
    assert.ok(!reply.text.includes(STRONG_PASSWORD));
    assert.ok(reply.text.includes('Ada &lt;Byron&gt;'), 'escaped');
  });

  it('treats missing fields as empty ones (400 at each field, not a crash)', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', {});
    assert.equal(reply.status, 400);
    assert.match(textOf(reply.text, 'username-error'), /HAT name must be 3 to 30 characters long/);
    assert.match(textOf(reply.text, 'email-error'), /Email must be a valid email address/);
    assert.match(textOf(reply.text, 'pass-error'), /Password must be at least 10 characters long/);
  });

  it('shows a taken name at the HAT name field (409), whatever its case', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('fresh'), username: 'Taken' });
    assert.equal(reply.status, 409);
    assert.equal(textOf(reply.text, 'username-error'), 'Error: HAT name is already taken');
    assert.equal(valueOf(reply.text, 'username'), 'Taken');
  });

  it('shows a used email at the email field (409)', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('fresh2'), email: 'TAKEN@example.com' });
    assert.equal(reply.status, 409);
    assert.equal(textOf(reply.text, 'email-error'), 'Error: Email is already used by another HAT');
    assert.ok(!(await hatExists('fresh2')));
  });

  it('refuses a form without a CSRF token (403), keeps the entries, creates nothing', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('nocsrf'), _csrf: null });
    assert.equal(reply.status, 403);
    assert.match(reply.text, /This form expired or did not come from this site/);
    assert.equal(valueOf(reply.text, 'username'), 'nocsrf');
    assert.equal(valueOf(reply.text, 'pass'), '');
    assert.ok(!(await hatExists('nocsrf')));
  });

  it('refuses a forged CSRF token (403)', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('forged'), _csrf: 'forged-token-value' });
    assert.equal(reply.status, 403);
    assert.ok(!(await hatExists('forged')));
  });

  it('refuses a form from a browser without the session (403)', async () => {
    const browser = await signupPage();
    const token = browser.csrf;
    browser.forgetCookies();
    const reply = await browser.post('/signup', { ...valid('nosession'), _csrf: token });
    assert.equal(reply.status, 403);
    assert.ok(!(await hatExists('nosession')));
  });

  it('accepts the form again once its fresh CSRF token is used', async () => {
    const browser = await signupPage();
    const first = await browser.post('/signup', { ...valid('second-try'), _csrf: 'stale' });
    assert.equal(first.status, 403);
    const again = await browser.post('/signup', valid('second-try'));
    assert.equal(again.status, 303);
    assert.ok(await hatExists('second-try'));
  });

  it('refuses a body that is not a URL-encoded form (415)', async () => {
    const browser = await signupPage();
    const reply = await server.call(null, '/signup', {
      method: 'POST',
      headers: { cookie: browser.cookieHeader, accept: 'text/html' },
      body: valid('jsonbody'),
    });
    assert.equal(reply.status, 415);
    assert.match(reply.text, /Unsupported Media Type/);
    assert.ok(!(await hatExists('jsonbody')));
  });

  it('refuses a form larger than the limit (413)', async () => {
    const browser = await signupPage();
    const reply = await browser.post('/signup', { ...valid('huge'), fullName: 'x'.repeat(70 * 1024) });
    assert.equal(reply.status, 413);
    assert.ok(!(await hatExists('huge')));
  });
});
