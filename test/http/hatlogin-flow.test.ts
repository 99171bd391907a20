import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/store/ports.js';
import { FormClient, textOf, valueOf } from '../support/forms.js';
import { application, registration } from '../support/fixtures.js';
import { answer, approvalPage, flowPath, logInThroughPage, startWithStore, verifyAsRelyingParty } from '../support/hatlogin.js';
import type { TestServer } from '../support/server.js';

let server: TestServer;
let store: Store;
let stop: () => Promise<void>;

before(async () => {
  ({ server, store, stop } = await startWithStore());
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi']) await server.createHat(name);
  await server.services.registry.create(registration());
});
after(() => stop());

const SHOP = 'https://login.shop.example.com/auth/done?lang=en&token=stale';

async function activity(hat: string) {
  return (await server.services.activity.page(hat, 1, 100)).entries;
}

describe('/hatlogin refuses bad requests with an error page and never redirects (SPEC 6.1)', () => {
  const refused: Array<[string, string, string]> = [
    ['plain http to a public host', 'Shop', 'http://shop.example.com/cb'],
    ['a relative URL', 'Shop', '/cb'],
    ['a scheme-relative URL', 'Shop', '//evil.example.com/cb'],
    ['a javascript: URL', 'Shop', 'javascript:alert(1)'],
    ['a data: URL', 'Shop', 'data:text/html,hi'],
    ['user-info', 'Shop', 'https://user:pw@evil.example.com/cb'],
    ['an empty user-info', 'Shop', 'https://@evil.example.com/cb'],
    ['a host hidden behind user-info', 'Shop', 'https://shop.example.com@evil.example.com/cb'],
    ['a fragment', 'Shop', 'https://shop.example.com/cb#x'],
    ['an empty fragment', 'Shop', 'https://shop.example.com/cb#'],
    ['a backslash', 'Shop', 'https://evil.example.com\\@shop.example.com/'],
    ['a single slash after the scheme', 'Shop', 'https:/evil.example.com/cb'],
    ['a percent-encoded host', 'Shop', 'https://%65vil.example.com/cb'],
    ['a wildcard host', 'Shop', 'https://*.example.com/cb'],
    ['a host with a semicolon', 'Shop', 'https://shop;evil.example.com/cb'],
    ['whitespace', 'Shop', 'https://shop.example.com/c b'],
    ['a newline', 'Shop', 'https://shop.example.com/cb\n'],
    ['more than 2,048 characters', 'Shop', `https://shop.example.com/${'a'.repeat(2030)}`],
    ['no redirect at all', 'Shop', ''],
    ['an empty name', '', 'https://shop.example.com/cb'],
    ['a name of spaces', '   ', 'https://shop.example.com/cb'],
    ['a name of 101 characters', 'n'.repeat(101), 'https://shop.example.com/cb'],
    ['a control character in the name', 'Shop\u0007', 'https://shop.example.com/cb'],
    ['a right-to-left override in the name', 'Shop\u202Egnp.exe', 'https://shop.example.com/cb'],
  ];
  for (const [what, name, redirect] of refused) {
    it(`refuses ${what}`, async () => {
      const reply = await server.call('alice', flowPath(name, redirect));
      assert.equal(reply.status, 400);
      assert.equal(reply.headers.location, undefined);
      assert.match(reply.headers['content-type'] ?? '', /text\/html/);
      assert.match(reply.text, /Error 400: Invalid login request/);
      assert.match(reply.text, /alice\.hat\.localhost/, 'the error page says which HAT it is');
    });
  }

  it('refuses a name or redirect given twice', async () => {
    const twice = await server.call('alice', `${flowPath('Shop', 'https://a.example.com/')}&redirect=${encodeURIComponent('https://b.example.com/')}`);
    assert.equal(twice.status, 400);
    assert.match(textOf(twice.text, 'error-title') + twice.text, /more than once/);
  });

  it('accepts names of 100 characters, and plain http only for loopback hosts', async () => {
    for (const [name, redirect] of [
      ['n'.repeat(100), 'https://shop.example.com/cb'],
      ['Local', 'http://localhost:4000/cb'],
      ['Local', 'http://demo.localhost/cb'],
      ['Local', 'http://127.0.0.1:4000/cb'],
      ['Local', 'http://[::1]:4000/cb'],
      ['Ünïcode 名前 🙂', 'https://xn--bcher-kva.example/cb'],
    ] as const) {
      const reply = await server.call('alice', flowPath(name, redirect));
      assert.equal(reply.status, 200, `${name} ${redirect}`);
    }
  });
});

describe('Approved applications cannot be impersonated (SPEC 6.2)', () => {
  it("refuses an application's id with a redirect that is not one of its own", async () => {
    for (const redirect of [
      'https://evil.example.com/auth/callback',
      'https://notes.example.com.evil.example/auth/callback',
      'https://notes.example.com/auth/callback/more',
      'https://notes.example.com/auth',
      'http://notes.example.com/auth/callback',
      'https://notes.example.com:8443/auth/callback',
    ]) {
      const reply = await server.call('alice', flowPath('notes-app', redirect));
      assert.equal(reply.status, 400, redirect);
      assert.equal(reply.headers.location, undefined);
      if (redirect.startsWith('https:')) assert.match(reply.text, /not one of the registered addresses/, redirect);
    }
  });

  it("refuses an application's id in other letter case, too", async () => {
    const reply = await server.call('alice', flowPath('Notes-App', 'https://evil.example.com/auth/callback'));
    assert.equal(reply.status, 400);
  });

  it('accepts a registered redirect with any query string', async () => {
    const reply = await server.call('alice', flowPath('notes-app', 'https://notes.example.com/auth/callback?from=menu'));
    assert.equal(reply.status, 200);
    assert.match(reply.text, /Registered on this server/);
  });
});

describe('The login page (SPEC 6.3)', () => {
  it('shows the HAT address, the service name as text, and the host with its registrable domain prominent', async () => {
    const reply = await server.call('alice', flowPath('Shop <b>&</b> "friends"', SHOP));
    assert.equal(reply.status, 200);
    assert.match(reply.text, new RegExp(`<dd class="mono">${server.hatHost('alice').replace(/\./g, '\\.')}</dd>`));
    assert.match(reply.text, /Shop &lt;b&gt;&amp;&lt;\/b&gt; &quot;friends&quot;/);
    assert.doesNotMatch(reply.text, /<b>&<\/b>/);
    assert.match(reply.text, /<span class="host-prefix">login\.shop\.<\/span><strong class="host-domain">example\.com<\/strong>/);
    assert.match(reply.text, /<input type="password" id="password" name="password" autocomplete="current-password"/);
    assert.match(reply.text, /<label for="password">/);
    assert.equal(valueOf(reply.text, 'redirect'), new URL(SHOP).href);
  });

  it('keeps two-part public suffixes with their domain, and shows IP hosts whole', async () => {
    const uk = await server.call('alice', flowPath('Shop', 'https://www.shop.co.uk/cb'));
    assert.match(uk.text, /<span class="host-prefix">www\.<\/span><strong class="host-domain">shop\.co\.uk<\/strong>/);
    const ip = await server.call('alice', flowPath('Shop', 'http://127.0.0.1:4000/cb'));
    assert.match(ip.text, /<strong class="host-domain">127\.0\.0\.1<\/strong><span class="host-port">:4000<\/span>/);
  });

  it('answers a wrong password with the page again, a generic message and 401', async () => {
    const browser = new FormClient(server, 'bob');
    const reply = await logInThroughPage(browser, 'Shop', SHOP, 'not the password at all');
    assert.equal(reply.status, 401);
    assert.match(textOf(reply.text, 'login-error'), /That password is not right/);
    assert.match(reply.text, /aria-invalid="true"/);
    assert.equal(reply.headers.location, undefined);
    const failed = (await activity('bob')).find((e) => e.type === 'login_failed');
    assert.ok(failed, 'the failure is in the activity log');
    assert.equal(failed.via, 'hatlogin');
    assert.equal(failed.service, 'Shop');
    assert.equal(failed.redirectHost, 'login.shop.example.com');
  });

  it('after 10 failures from one client answers 429 with Retry-After, even for the right password', async () => {
    const browser = new FormClient(server, 'carol');
    await browser.get(flowPath('Shop', SHOP));
    for (let i = 0; i < 10; i++) {
      const wrong = await browser.post('/hatlogin/login', { name: 'Shop', redirect: SHOP, password: `wrong ${i}` });
      assert.equal(wrong.status, 401);
    }
    const limited = await logInThroughPage(browser, 'Shop', SHOP);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.match(textOf(limited.text, 'login-error'), /Too many wrong passwords/);
  });

  it('starts again with the same service when the form outlived the session, without checking the password', async () => {
    const browser = new FormClient(server, 'dave');
    const page = await browser.get(flowPath('Shop', SHOP));
    assert.equal(page.status, 200);
    browser.forgetCookies(); // the session expired while the page sat open
    const reply = await browser.post('/hatlogin/login', { name: 'Shop', redirect: SHOP, password: 'whatever was typed' });
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, flowPath('Shop', new URL(SHOP).href));
    const again = await browser.get(reply.headers.location!);
    assert.equal(again.status, 200);
    assert.match(again.text, /Your session expired; please enter your password again/);
    assert.ok(!(await activity('dave')).some((e) => e.via === 'hatlogin'), 'no password was checked');
  });
});

describe('Approving a generic service (SPEC 6.4-6.5)', () => {
  it('shows what the service will learn, and after approval sends the browser back with a verifiable token', async () => {
    const browser = new FormClient(server, 'erin');
    const login = await logInThroughPage(browser, 'Shop', SHOP);
    assert.equal(login.status, 303);
    assert.equal(login.headers.location, flowPath('Shop', new URL(SHOP).href));
    const page = await browser.get(login.headers.location!);
    assert.equal(page.status, 200);
    assert.match(textOf(page.text, 'approve-summary').replace(/ /g, ''), new RegExp(`^Thewebsiteatlogin\\.shop\\.example\\.comNotregisteredonthisserverwilllearnthatyouown${server.hatHost('erin')}\\.$`));
    assert.match(String(page.headers['content-security-policy'] ?? ''), /form-action 'self' https:\/\/login\.shop\.example\.com/);

    const approved = await answer(browser, page, 'approve');
    assert.equal(approved.status, 303);
    const back = new URL(approved.headers.location!);
    assert.equal(`${back.origin}${back.pathname}`, 'https://login.shop.example.com/auth/done');
    assert.equal(back.searchParams.get('lang'), 'en', 'existing parameters are kept');
    assert.deepEqual(back.searchParams.getAll('token').length, 1, 'the stale token parameter was replaced');
    assert.ok(approved.headers.location!.startsWith('https://login.shop.example.com/auth/done?lang=en&token='));

    const claims = await verifyAsRelyingParty(server, 'erin', back.searchParams.get('token')!);
    assert.equal(claims.accessScope, 'validate');
    assert.equal(claims.application, 'Shop');
    assert.equal(claims.resource, 'https://login.shop.example.com/auth/done?lang=en');
    assert.ok(claims.exp! > Date.now() / 1000);
    const check = await server.call('erin', '/users/access_token/validate', { headers: { 'x-auth-token': back.searchParams.get('token')! } });
    assert.equal(check.status, 200);

    const log = (await activity('erin')).filter((e) => e.via === 'hatlogin');
    const login0 = log.find((e) => e.type === 'login');
    const approval = log.find((e) => e.type === 'approval');
    for (const entry of [login0, approval]) {
      assert.ok(entry);
      assert.equal(entry.service, 'Shop');
      assert.equal(entry.redirectHost, 'login.shop.example.com');
      assert.ok(entry.clientIp, 'the client address is logged');
    }
  });

  it('remembers the approval for the same name and origin, and asks again for another name', async () => {
    const browser = new FormClient(server, 'erin');
    await logInThroughPage(browser, 'Shop', SHOP);
    const again = await browser.get(flowPath('Shop', 'https://login.shop.example.com/another/path'));
    assert.equal(again.status, 303, 'no approval page the second time');
    assert.match(again.headers.location!, /^https:\/\/login\.shop\.example\.com\/another\/path\?token=/);
    const other = await browser.get(flowPath('Another shop', SHOP));
    assert.equal(other.status, 200);
    assert.match(other.text, /will learn that you own/);
    const otherOrigin = await browser.get(flowPath('Shop', 'https://shop.example.net/cb'));
    assert.equal(otherOrigin.status, 200);
  });

  it('uses the name and redirect it showed, whatever the submitted form says', async () => {
    const browser = new FormClient(server, 'frank');
    const page = await approvalPage(browser, 'Shop', SHOP);
    const reply = await browser.post('/hatlogin/approve', {
      pending: valueOf(page.text, 'pending')!,
      name: 'Evil',
      redirect: 'https://evil.example.com/steal',
    });
    assert.equal(reply.status, 303);
    assert.ok(reply.headers.location!.startsWith('https://login.shop.example.com/auth/done?lang=en&token='));
    const claims = await verifyAsRelyingParty(server, 'frank', new URL(reply.headers.location!).searchParams.get('token')!);
    assert.equal(claims.application, 'Shop');
  });

  it('answers each approval page once', async () => {
    const browser = new FormClient(server, 'frank');
    const page = await approvalPage(browser, 'Once', 'https://once.example.com/cb');
    assert.equal((await answer(browser, page, 'deny')).status, 303);
    const replay = await answer(browser, page, 'approve');
    assert.equal(replay.status, 400);
    assert.equal(replay.headers.location, undefined);
  });

  it('denies with error=access_denied, remembers nothing, and logs the denial', async () => {
    const browser = new FormClient(server, 'grace');
    const page = await approvalPage(browser, 'Shop', SHOP);
    const denied = await answer(browser, page, 'deny');
    assert.equal(denied.status, 303);
    assert.equal(denied.headers.location, 'https://login.shop.example.com/auth/done?lang=en&error=access_denied');
    const denial = (await activity('grace')).find((e) => e.type === 'denial');
    assert.ok(denial);
    assert.equal(denial.service, 'Shop');
    assert.equal(denial.redirectHost, 'login.shop.example.com');
    const again = await browser.get(flowPath('Shop', SHOP));
    assert.equal(again.status, 200, 'a denial is not remembered: the approval page is shown again');
  });
});

describe('Approving an approved application (SPEC 6.4-6.6)', () => {
  const CALLBACK = 'https://notes.example.com/auth/callback?from=menu';

  it('lists its name, description and exact permissions, and enables exactly those', async () => {
    const browser = new FormClient(server, 'heidi');
    const page = await approvalPage(browser, 'notes-app', CALLBACK);
    assert.equal(page.status, 200);
    assert.match(page.text, /Allow <span class="service-name">Notes<\/span> to use your HAT\?/);
    assert.match(page.text, /Keeps your notes on your own HAT\./);
    assert.match(page.text, /<span class="permission-text">See, add and change your notes data<\/span>\s*<span class="access write">read and write<\/span>/);
    assert.match(page.text, /<span class="permission-text">See your profile data<\/span>\s*<span class="access read">read only<\/span>/);

    const approved = await answer(browser, page, 'approve');
    assert.equal(approved.status, 303);
    const token = new URL(approved.headers.location!).searchParams.get('token')!;
    const claims = await verifyAsRelyingParty(server, 'heidi', token);
    assert.equal(claims.accessScope, 'application');
    assert.equal(claims.application, 'notes-app');
    assert.equal(claims.applicationVersion, '1.0.0');
    assert.equal(claims.resource, CALLBACK);

    const grant = await store.grants.get('heidi', 'notes-app');
    assert.ok(grant?.enabled);
    assert.deepEqual(grant.permissions, application().permissions);
    const check = await server.call('heidi', '/users/access_token/validate', { headers: { 'x-auth-token': token } });
    assert.equal(check.status, 200);
  });

  it('skips the approval page while enabled, and shows it again once the application asks for more', async () => {
    const browser = new FormClient(server, 'heidi');
    const login = await logInThroughPage(browser, 'notes-app', CALLBACK);
    const remembered = await browser.get(login.headers.location!);
    assert.equal(remembered.status, 303);
    assert.match(remembered.headers.location!, /^https:\/\/notes\.example\.com\/auth\/callback\?from=menu&token=/);

    await server.services.registry.replace(
      'notes-app',
      registration({ version: '1.1.0', permissions: [...application().permissions, { namespace: 'calendar', access: 'read' }] }),
    );
    const grown = await browser.get(flowPath('notes-app', CALLBACK));
    assert.equal(grown.status, 200);
    // What it adds is marked New, what the owner allowed before "already allowed" (issue 12).
    assert.match(grown.text, /<li class="permission is-new">\s*<span class="permission-text">See your calendar data<\/span>\s*<span class="access read">read only<\/span>\s*<span class="mark new">New<\/span>/);
    assert.match(grown.text, /See, add and change your notes data<\/span>\s*<span class="access write">read and write<\/span>\s*<span class="mark allowed">already allowed<\/span>/);
    assert.match(grown.text, /it now asks for more/);
  });

  it('asks again after the owner disabled it, and the token of the new consent works at once', async () => {
    const browser = new FormClient(server, 'grace');
    const first = await answer(browser, await approvalPage(browser, 'notes-app', CALLBACK), 'approve');
    const oldToken = new URL(first.headers.location!).searchParams.get('token')!;
    const hat = (await store.hats.find('grace'))!;
    await server.services.applications.disable(hat, 'notes-app', { via: 'dashboard' });
    const page = await browser.get(flowPath('notes-app', CALLBACK));
    assert.equal(page.status, 200, 'a disabled application is asked about again');
    assert.doesNotMatch(page.text, /class="mark /, 'turned off, it asks afresh: nothing is marked');
    const again = await answer(browser, page, 'approve');
    const token = new URL(again.headers.location!).searchParams.get('token')!;
    const check = (t: string) => server.call('grace', '/users/access_token/validate', { headers: { 'x-auth-token': t } });
    assert.equal((await check(token)).status, 200);
    assert.equal((await check(oldToken)).status, 401, 'tokens from before the disabling stay refused');
  });

  it('asks again when the permissions changed between showing the page and approving it', async () => {
    await server.services.registry.create(registration({ id: 'diary-app', name: 'Diary', redirectUris: ['https://diary.example.com/cb'] }));
    const browser = new FormClient(server, 'alice');
    const page = await approvalPage(browser, 'diary-app', 'https://diary.example.com/cb');
    // Changed by another process (the CLI, another server): this one's registry cache has not seen it.
    await store.applications.update(
      application({ id: 'diary-app', name: 'Diary', redirectUris: ['https://diary.example.com/cb'], permissions: [{ namespace: 'everything', access: 'write' }] }),
    );
    const reply = await answer(browser, page, 'approve');
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, flowPath('diary-app', 'https://diary.example.com/cb'));
    assert.equal(await store.grants.get('alice', 'diary-app'), null, 'nothing was enabled');
    const again = await browser.get(reply.headers.location!);
    assert.match(again.text, /The application changed what it asks for/);
    assert.match(again.text, /your everything data/);
  });
});
