import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asksForMore, permissionLines, scopeLines } from '../../../src/services/permission-words.js';
import type { Permission } from '../../../src/store/ports.js';

const read = (namespace: string): Permission => ({ namespace, access: 'read' });
const write = (namespace: string): Permission => ({ namespace, access: 'write' });

describe('permissions in words (services/permission-words.ts)', () => {
  it('says one sentence per namespace, with its strongest access, write first', () => {
    const lines = permissionLines([read('profile'), read('diary'), write('diary'), read('fitness')]);
    assert.deepEqual(
      lines.map((l) => [l.sentence, l.access, l.mark]),
      [
        ['See, add and change your diary data', 'write', null],
        ['See your fitness data', 'read', null],
        ['See your profile data', 'read', null],
      ],
    );
    assert.equal(asksForMore(lines), false, 'a first request marks nothing');
  });

  it('on a request for more, marks what is added "new" and the rest "allowed"', () => {
    const lines = permissionLines([read('profile'), write('notes'), write('diary')], [read('profile'), read('diary')]);
    assert.deepEqual(
      lines.map((l) => [l.namespace, l.mark]),
      [
        ['diary', 'new'], // reading was allowed; writing is new
        ['notes', 'new'],
        ['profile', 'allowed'],
      ],
    );
    assert.equal(asksForMore(lines), true);
    assert.deepEqual(permissionLines([read('profile')], [write('profile')]).map((l) => l.mark), ['allowed'], 'write covers read');
  });

  it('puts OAuth scopes in words: identity first, then data as above, compared with the grant', () => {
    const asked = ['data:notes:write', 'openid', 'data:notes:read', 'email', 'data:diary:read', 'unknown'];
    const first = scopeLines(asked, 'ann.hat.example');
    assert.deepEqual(first.map((l) => l.sentence), ['That you own ann.hat.example', 'Your email address', 'See, add and change your notes data', 'See your diary data']);
    assert.ok(first.every((l) => l.mark === null));
    const again = scopeLines(asked, 'ann.hat.example', ['openid', 'data:notes:read', 'data:diary:read']);
    assert.deepEqual(again.map((l) => l.mark), ['allowed', 'new', 'new', 'allowed']);
  });
});
