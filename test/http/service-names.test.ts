import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerApp } from '../support/apps.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** SPEC 6.9 (issue 11, finding 10): generic names are NFKC, plain, and not an application's look-alike. */
describe('The names generic services give themselves', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.createHat('namer');
    await registerApp(server, 'diary', [{ namespace: 'diary', access: 'read' }]);
  });
  after(() => server.stop());

  const loginPage = (name: string) =>
    server.call('namer', `/hatlogin?name=${encodeURIComponent(name)}&redirect=${encodeURIComponent('https://elsewhere.example/back')}`, {
      headers: { accept: 'text/html' },
    });

  it('refuses a name confusable with a registered application’s id or name (400, an error page on the HAT)', async () => {
    for (const name of ['Diаry', 'DIARY ', 'dіary', 'The Diary Application', 'The diary app1ication']) {
      const reply = await loginPage(name);
      assert.equal(reply.status, 400, `${JSON.stringify(name)}: ${reply.status}`);
    }
  });

  it('refuses leading or trailing spaces and invisible characters', async () => {
    for (const name of [' Shop', 'Shop ', '\u00A0Shop', 'Sh\u034Fop', 'Sh\u3164op']) {
      assert.equal((await loginPage(name)).status, 400, JSON.stringify(name));
    }
  });

  it('shows an acceptable name in its NFKC form', async () => {
    const reply = await loginPage('Ｔｈｅ Ｓｈｏｐ');
    assert.equal(reply.status, 200);
    assert.match(reply.text, /The Shop/);
    assert.doesNotMatch(reply.text, /Ｔｈｅ/);
  });
});
