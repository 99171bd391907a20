import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hatNameProblem } from '../../../src/services/hats.js';

describe('hatNameProblem: which names a HAT may have (SPEC 9)', () => {
  const accepted = ['alice', 'bob', 'abc', 'a1b2', 'my-hat', 'a-b-c', 'x'.repeat(30), 'alice2'];
  for (const name of accepted) it(`accepts ${name}`, () => assert.equal(hatNameProblem(name), null));

  const refused: Array<[string, RegExp]> = [
    ['', /3 to 30 characters/],
    ['ab', /3 to 30 characters/],
    ['x'.repeat(31), /3 to 30 characters/],
    ['1alice', /must start with a letter/],
    ['-alice', /must start with a letter/],
    ['alice-', /single hyphens between them/],
    ['al--ice', /single hyphens between them/],
    ['al_ice', /only lowercase letters, digits/],
    ['al.ice', /only lowercase letters, digits/],
    ['Alice', /only lowercase letters, digits/],
    ['älice', /only lowercase letters, digits/],
    ['www', /reserved/],
    ['admin', /reserved/],
    ['localhost', /reserved/],
    ['no-reply', /reserved/],
    ['publickey', /reserved/],
  ];
  for (const [name, why] of refused) it(`refuses ${JSON.stringify(name.slice(0, 32))}`, () => assert.match(hatNameProblem(name) ?? 'accepted', why));
});
