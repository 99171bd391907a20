import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayHost } from '../../src/services/redirects.js';

/** SPEC 6.9: the registrable domain comes from the Public Suffix List (tldts), not a hand-kept list. */
describe('displayHost', () => {
  const shown = (url: string) => {
    const d = displayHost(new URL(url));
    return `${d.prefix}[${d.domain}]${d.port}`;
  };

  it('makes the registrable domain of ordinary and multi-part suffixes prominent', () => {
    assert.equal(shown('https://login.example.com/cb'), 'login.[example.com]');
    assert.equal(shown('https://www.shop.example.co.uk/cb'), 'www.shop.[example.co.uk]');
    // Suffixes a hand-kept list missed: the PSL knows them.
    assert.equal(shown('https://a.b.example.kawasaki.jp/'), 'a.[b.example.kawasaki.jp]');
    assert.equal(shown('https://app.example.com.ua/'), 'app.[example.com.ua]');
    assert.equal(shown('https://x.example.gov.bd/'), 'x.[example.gov.bd]');
  });

  it('treats private suffixes (github.io, herokuapp.com) as suffixes: the site is the owner\'s own', () => {
    assert.equal(shown('https://alice.github.io/app'), '[alice.github.io]');
    assert.equal(shown('https://evil.example.herokuapp.com/'), 'evil.[example.herokuapp.com]');
  });

  it('shows IP addresses and loopback names whole, with the port apart', () => {
    assert.equal(shown('http://127.0.0.1:8080/cb'), '[127.0.0.1]:8080');
    assert.equal(shown('http://[::1]:3000/cb'), '[[::1]]:3000');
    assert.equal(shown('http://app.localhost:3000/cb'), '[app.localhost]:3000');
  });
});
