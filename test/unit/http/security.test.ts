import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formActionCanName } from '../../../src/http/security.js';

/** Issue 11, finding 9: which destinations CSP form-action can name (the others go by the hop page). */
describe('formActionCanName', () => {
  for (const url of ['https://shop.example.com/cb?token=x', 'http://localhost:4000/cb', 'http://demo.localhost/cb', 'http://127.0.0.1:4000/cb', '/oauth/authorize/abc']) {
    it(`names ${url}`, () => assert.equal(formActionCanName(url), true));
  }
  for (const url of ['http://[::1]:4000/cb', 'http://[::1]/cb', 'https://[2001:db8::1]:8443/cb', 'HTTP://[::1]:4000/cb']) {
    it(`cannot name ${url}`, () => assert.equal(formActionCanName(url), false));
  }
});
