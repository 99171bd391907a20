import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hatNameIn } from '../../../src/services/locator.js';

/** "Go to my HAT": what a person typed, read as a HAT name (SPEC 9), without a server. */

describe('hatNameIn: a name or an address as remembered, read as a name', () => {
  const table: Array<[string, string]> = [
    ['alice', 'alice'],
    ['  Alice ', 'alice'],
    ['alice.hat.localhost', 'alice'],
    ['alice.hat.localhost:3000', 'alice'],
    ['alice.hat.localhost.', 'alice'],
    ['http://alice.hat.localhost/', 'alice'],
    ['HTTPS://Alice.Hat.Localhost:3000/some/page?x=1#y', 'alice'],
    ['alice.hat.localhost/#/hatlogin', 'alice'],
    ['alice.other.example', 'alice.other.example'], // not this cluster's: left for the name rule to refuse
    ['hat.localhost', 'hat.localhost'],
    ['', ''],
    ['   ', ''],
    ['http://', ''],
  ];
  for (const [typed, name] of table) it(`${JSON.stringify(typed)} → ${JSON.stringify(name)}`, () => assert.equal(hatNameIn(typed, 'hat.localhost'), name));

  it('reads at most 300 characters of what was typed', () => {
    assert.equal(hatNameIn('a'.repeat(1000), 'hat.localhost').length, 300);
  });
});
