import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInput } from '../../../src/errors.js';
import {
  displayHost,
  hostOf,
  isLoopbackHost,
  isRegisteredRedirect,
  MAX_REDIRECT_LENGTH,
  parseRedirect,
  redirectProblem,
  resourceOf,
  withParams,
} from '../../../src/services/redirects.js';

/** The redirect-URL rules of SPEC 6.1, 6.2 and 6.5, without a server. */

describe('redirectProblem: which URLs may be redirected to (SPEC 6.1)', () => {
  const accepted = [
    'https://example.com/callback',
    'https://example.com',
    'HTTPS://Example.COM/a', // the parser lower-cases scheme and host
    'https://login.example.co.uk:8443/cb?x=1&y=2',
    'https://example.com/%2e%2e/', // the path is the service's business
    'https://xn--bcher-kva.example/', // an IDN, in punycode
    'https://bücher.example/', // the same IDN as a person types it
    'https://1.2.3.4/cb',
    'https://[2001:db8::1]/cb',
    'http://localhost/cb',
    'http://localhost:8080/cb',
    'http://notes.localhost:4001/callback',
    'http://127.0.0.1:3000/x',
    'http://[::1]:8080/cb',
    `https://example.com/${'a'.repeat(MAX_REDIRECT_LENGTH - 'https://example.com/'.length)}`,
  ];
  for (const url of accepted) {
    it(`accepts ${url.slice(0, 70)}`, () => assert.equal(redirectProblem(url), null));
  }

  const refused: Array<[string, RegExp]> = [
    ['', /absolute https:\/\/ URL/],
    ['/relative/path', /absolute https:\/\/ URL/],
    ['//example.com/cb', /absolute https:\/\/ URL/],
    ['https:example.com/', /absolute https:\/\/ URL/],
    ['https:/example.com/', /absolute https:\/\/ URL/],
    ['ftp://example.com/', /absolute https:\/\/ URL/],
    ['javascript:alert(1)', /absolute https:\/\/ URL/],
    ['data:text/html,hi', /absolute https:\/\/ URL/],
    ['http://example.com/cb', /must use https/],
    ['http://localhost.evil.com/', /must use https/],
    ['http://1.2.3.4/cb', /must use https/],
    ['https://user@example.com/', /user name or password/],
    ['https://user:pass@example.com/', /user name or password/],
    ['https://example.com@evil.com/', /user name or password/],
    ['https://example.com/#fragment', /fragment/],
    ['https://example.com/#', /fragment/],
    ['https://exa%6dple.com/', /percent-encoded host/],
    ['https://example.com/?a=b c', /spaces, control characters or backslashes/],
    [' https://example.com/', /spaces, control characters or backslashes/],
    ['https://example.com/\n', /spaces, control characters or backslashes/],
    ['https://example.com\\@evil.com/', /spaces, control characters or backslashes/],
    ['https://example.com/\u202e', /spaces, control characters or backslashes/],
    ['https://a_b.example.com/', /plain host/],
    ['https://-bad.example.com/', /plain host/],
    ['https://example.com:99999/', /valid absolute URL/],
    [`https://example.com/${'a'.repeat(MAX_REDIRECT_LENGTH)}`, /at most 2048 characters/],
  ];
  for (const [url, why] of refused) {
    it(`refuses ${JSON.stringify(url.slice(0, 60))}`, () => assert.match(redirectProblem(url) ?? 'accepted', why));
  }
});

describe('isLoopbackHost: where plain http is allowed', () => {
  const table: Array<[string, boolean]> = [
    ['localhost', true],
    ['notes.localhost', true],
    ['a.b.localhost', true],
    ['127.0.0.1', true],
    ['[::1]', true],
    ['localhost.example.com', false],
    ['mylocalhost', false],
    ['127.0.0.2', false],
    ['example.com', false],
  ];
  for (const [host, loopback] of table) it(`${host} → ${loopback}`, () => assert.equal(isLoopbackHost(host), loopback));
});

describe('parseRedirect: the redirect parameter of /hatlogin (SPEC 6.1)', () => {
  it('returns the URL as the parser normalised it', () => {
    assert.equal(parseRedirect('HTTPS://Example.COM/cb?a=1').href, 'https://example.com/cb?a=1');
  });

  const refused: Array<[unknown, RegExp]> = [
    [undefined, /gave no redirect URL/],
    ['', /gave no redirect URL/],
    [42, /gave no redirect URL/],
    [['https://a.example/', 'https://b.example/'], /more than once/],
    ['http://example.com/', /^The redirect URL must use https/],
  ];
  for (const [raw, why] of refused) {
    it(`refuses ${JSON.stringify(raw)} as an invalid login request about the redirect`, () => {
      assert.throws(
        () => parseRedirect(raw),
        (err: unknown) =>
          err instanceof InvalidInput && err.field === 'redirect' && err.message === 'Invalid login request' && why.test(err.detail),
      );
    });
  }
});

describe('isRegisteredRedirect: an application redirects only to its own URLs (SPEC 6.2)', () => {
  const registered = ['https://notes.example.com/auth/callback', 'http://localhost:8080/cb', 'not a url'];
  const table: Array<[string, boolean]> = [
    ['https://notes.example.com/auth/callback', true],
    ['https://notes.example.com/auth/callback?next=%2Ftoday', true], // the query string aside
    ['https://NOTES.example.com/auth/callback', true], // as the parser normalises it
    ['https://notes.example.com:443/auth/callback', true],
    ['http://localhost:8080/cb', true],
    ['https://notes.example.com/auth/callback/', false],
    ['https://notes.example.com/auth', false],
    ['https://notes.example.com/auth/callbackx', false],
    ['https://notes.example.com:8443/auth/callback', false],
    ['http://notes.example.com/auth/callback', false],
    ['https://evil.example.com/auth/callback', false],
    ['https://notes.example.com.evil.com/auth/callback', false],
    ['http://localhost:8081/cb', false],
  ];
  for (const [redirect, matches] of table) {
    it(`${redirect} → ${matches}`, () => assert.equal(isRegisteredRedirect(registered, new URL(redirect)), matches));
  }

  it('matches nothing when nothing is registered', () => {
    assert.equal(isRegisteredRedirect([], new URL('https://notes.example.com/auth/callback')), false);
  });
});

describe('withParams: the answer put into the redirect (SPEC 6.5)', () => {
  const table: Array<[string, Record<string, string>, string[], string]> = [
    ['https://s.example/cb', { token: 'T' }, [], 'https://s.example/cb?token=T'],
    ['https://s.example/cb?next=%2Fhome&a', { token: 'T' }, [], 'https://s.example/cb?next=%2Fhome&a&token=T'],
    // the service's parameters are kept byte for byte, an earlier token is replaced
    ['https://s.example/cb?a=1&token=old&b=%20x', { token: 'T' }, [], 'https://s.example/cb?a=1&b=%20x&token=T'],
    ['https://s.example/cb?a=1', { token: 'a b&c' }, [], 'https://s.example/cb?a=1&token=a%20b%26c'],
    // Deny drops any token the redirect carried, however its name was spelled
    ['https://s.example/cb?token=x&t%6fken=z&error=y&a', { error: 'access_denied' }, ['token'], 'https://s.example/cb?a&error=access_denied'],
    ['https://s.example/cb?tokens=1', { error: 'access_denied' }, ['token'], 'https://s.example/cb?tokens=1&error=access_denied'],
  ];
  for (const [redirect, params, drop, expected] of table) {
    it(`${redirect} + ${JSON.stringify(params)}${drop.length ? ` - ${drop.join()}` : ''}`, () => {
      assert.equal(withParams(redirect, params, drop), expected);
    });
  }
});

describe("resourceOf: the redirect as a validate token's resource claim (SPEC 4)", () => {
  const table: Array<[string, string]> = [
    ['https://s.example/cb', 'https://s.example/cb'],
    ['https://s.example/', 'https://s.example/'],
    ['https://s.example/cb?token=1', 'https://s.example/cb'],
    ['https://s.example/cb?token=x&a=1&tok=2', 'https://s.example/cb?a=1&tok=2'],
    ['https://s.example:8443/cb?a=%20b', 'https://s.example:8443/cb?a=%20b'],
  ];
  for (const [redirect, resource] of table) it(`${redirect} → ${resource}`, () => assert.equal(resourceOf(new URL(redirect)), resource));
});

describe('hostOf', () => {
  const table: Array<[string | undefined, string | undefined]> = [
    ['https://a.example:8443/x', 'a.example:8443'],
    ['https://a.example:443/x', 'a.example'],
    ['http://notes.localhost:4001', 'notes.localhost:4001'],
    ['not a url', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [url, host] of table) it(`${JSON.stringify(url)} → ${JSON.stringify(host)}`, () => assert.equal(hostOf(url), host));
});

describe('displayHost: the registrable domain made prominent (SPEC 6.3, 6.9)', () => {
  const table: Array<[string, { prefix: string; domain: string; port: string }]> = [
    ['https://example.com/cb', { prefix: '', domain: 'example.com', port: '' }],
    ['https://login.example.com/cb', { prefix: 'login.', domain: 'example.com', port: '' }],
    ['https://a.b.example.com:8443/', { prefix: 'a.b.', domain: 'example.com', port: ':8443' }],
    ['https://example.co.uk/', { prefix: '', domain: 'example.co.uk', port: '' }],
    ['https://a.b.example.co.uk:8443/', { prefix: 'a.b.', domain: 'example.co.uk', port: ':8443' }],
    ['https://shop.example.com.au/', { prefix: 'shop.', domain: 'example.com.au', port: '' }],
    ['https://example.com.evil.com/', { prefix: 'example.com.', domain: 'evil.com', port: '' }],
    ['http://notes.localhost:4001/', { prefix: '', domain: 'notes.localhost', port: ':4001' }],
    ['http://localhost/', { prefix: '', domain: 'localhost', port: '' }],
    ['http://127.0.0.1:3000/', { prefix: '', domain: '127.0.0.1', port: ':3000' }],
    ['https://1.2.3.4/', { prefix: '', domain: '1.2.3.4', port: '' }],
    ['http://[::1]:8080/', { prefix: '', domain: '[::1]', port: ':8080' }],
  ];
  for (const [url, shown] of table) it(`${url} → ${shown.prefix}[${shown.domain}]${shown.port}`, () => assert.deepEqual(displayHost(new URL(url)), shown));
});
