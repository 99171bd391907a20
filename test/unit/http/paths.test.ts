import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isApiPath } from '../../../src/http/paths.js';

/** SPEC 3, 5: which paths are the API (JSON answers, never the browser session). */

describe('isApiPath', () => {
  const table: Array<[string, boolean]> = [
    ['/api/v2.6/data/notes/entries', true],
    ['/api/signup', true],
    ['/api/admin/applications', true],
    ['/users/access_token', true],
    ['/users/access_token/validate', true],
    ['/user/password/change', true],
    ['/control/v2/auth/password', true],
    ['/.well-known/jwks.json', true],
    ['/publickey', true],
    ['/healthz', true],
    ['/', false],
    ['/hatlogin', false],
    ['/login', false],
    ['/signup', false],
    ['/api', false],
    ['/users', false],
    ['/publickey/', false],
    ['/healthz.html', false],
    ['/apis/x', false],
    ['/static/api/', false],
  ];
  for (const [path, api] of table) it(`${path} → ${api ? 'API' : 'page'}`, () => assert.equal(isApiPath(path), api));
});
