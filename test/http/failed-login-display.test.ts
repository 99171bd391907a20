import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registerApp } from '../support/apps.js';
import { FormClient } from '../support/forms.js';
import { flowPath } from '../support/hatlogin.js';
import { startTestServer, STRONG_PASSWORD, type TestServer } from '../support/server.js';

/** Issue 11, finding 13: what a failed attempt sent is shown as its claim, never as fact. */
describe('Failed login attempts on the dashboard', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.createHat('claims');
    await registerApp(server, 'diary', []);
  });
  after(() => server.stop());

  async function failAs(name: string, redirect: string): Promise<void> {
    const stranger = new FormClient(server, 'claims');
    const page = await stranger.get(flowPath(name, redirect));
    assert.equal(page.status, 200);
    const reply = await stranger.post('/hatlogin/login', { name, redirect, password: 'not the password at all' });
    assert.equal(reply.status, 401);
  }

  async function activityRows(): Promise<string> {
    const owner = new FormClient(server, 'claims');
    await owner.get('/');
    assert.equal((await owner.post('/login', { password: STRONG_PASSWORD })).status, 303);
    const text = (await owner.get('/')).text;
    return text.slice(text.indexOf('<tbody'), text.indexOf('</tbody>'));
  }

  it('shows the name a failed attempt gave as what it claimed, with its host, not as a known service', async () => {
    await failAs('Your Bank Security Team', 'https://bank-security.example/verify');
    await failAs('diary', 'https://diary.example.com/callback');
    const rows = await activityRows();
    assert.match(rows, /claimed to be “<span class="service-name">Your Bank Security Team<\/span>”/);
    assert.match(rows, /bank-security\.example/);
    // A registered application's name is not lent to someone who merely sent its id.
    assert.match(rows, /claimed to be “<span class="service-name">diary<\/span>”/);
    assert.doesNotMatch(rows, /The diary application/);
  });
});
