import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInput } from '../../../src/errors.js';
import { MAX_TAKE, readOptions, renderRecords, table, type ReadQuery } from '../../../src/services/data.js';
import type { ReadOptions } from '../../../src/store/ports.js';

/** SPEC 8: how the data API reads its query and names its tables, without a server. */

describe('readOptions: orderBy, ordering, skip and take (SPEC 8)', () => {
  const defaults: ReadOptions = { ordering: 'ascending', skip: 0, take: MAX_TAKE };
  const accepted: Array<[ReadQuery, ReadOptions]> = [
    [{}, defaults],
    [{ orderBy: '', ordering: '', skip: '', take: '' }, defaults], // empty means "not given"
    [{ orderBy: 'date' }, { ...defaults, orderBy: 'date' }],
    [{ orderBy: 'location.city' }, { ...defaults, orderBy: 'location.city' }],
    [{ orderBy: 'a_b-C.d9' }, { ...defaults, orderBy: 'a_b-C.d9' }],
    [{ orderBy: '__proto__' }, { ...defaults, orderBy: '__proto__' }], // a key in the data, nothing more
    [{ ordering: 'descending' }, { ...defaults, ordering: 'descending' }],
    [{ ordering: 'ascending' }, defaults],
    [{ skip: '20', take: '10' }, { ...defaults, skip: 20, take: 10 }],
    [{ take: '0' }, { ...defaults, take: 0 }],
    [{ take: '1000' }, defaults],
    [{ take: '1001' }, defaults], // clamped, not refused
    [{ take: '999999999999999' }, defaults],
    [{ skip: '007' }, { ...defaults, skip: 7 }],
  ];
  for (const [query, options] of accepted) {
    it(`${JSON.stringify(query)} → ${JSON.stringify(options)}`, () => assert.deepEqual(readOptions(query), options));
  }

  const refused: Array<[ReadQuery, string, RegExp]> = [
    [{ ordering: 'up' }, 'ordering', /ordering must be "ascending" or "descending", got "up"/],
    [{ ordering: 'ASCENDING' }, 'ordering', /must be "ascending" or "descending"/],
    [{ ordering: ['ascending', 'descending'] }, 'ordering', /ordering must be given at most once/],
    [{ orderBy: 'a..b' }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: '.a' }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: 'a.' }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: '$where' }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: 'a b' }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: 'x'.repeat(201) }, 'orderBy', /orderBy must be a field of the data/],
    [{ orderBy: ['a', 'b'] }, 'orderBy', /orderBy must be given at most once/],
    [{ skip: '-1' }, 'skip', /skip must be a whole number from 0, got "-1"/],
    [{ skip: ' 1' }, 'skip', /skip must be a whole number from 0/],
    [{ skip: '1.5' }, 'skip', /skip must be a whole number from 0/],
    [{ skip: '1234567890123456' }, 'skip', /skip must be a whole number from 0/],
    [{ take: '1e3' }, 'take', /take must be a whole number from 0, got "1e3"/],
    [{ take: '0x10' }, 'take', /take must be a whole number from 0/],
    [{ take: ['1', '2'] }, 'take', /take must be given at most once/],
  ];
  for (const [query, field, why] of refused) {
    it(`refuses ${JSON.stringify(query).slice(0, 60)} (400, field ${field})`, () => {
      assert.throws(
        () => readOptions(query),
        (err: unknown) => err instanceof InvalidInput && err.field === field && err.message === 'Bad Request' && why.test(err.detail),
      );
    });
  }
});

describe('table: namespace and endpoint (SPEC 8)', () => {
  const accepted: Array<[string, string]> = [
    ['notes', 'entries'],
    ['my-app2', 'a/b/c'],
    ['0', '9'],
    ['n'.repeat(100), 'e'.repeat(200)],
  ];
  for (const [namespace, endpoint] of accepted) {
    it(`accepts ${namespace.slice(0, 20)}/${endpoint.slice(0, 20)}`, () => assert.equal(table(namespace, endpoint), `${namespace}/${endpoint}`));
  }

  const refused: Array<[string, string, string]> = [
    ['', 'entries', 'namespace'],
    ['Notes', 'entries', 'namespace'],
    ['my_app', 'entries', 'namespace'],
    ['a.b', 'entries', 'namespace'],
    ['n'.repeat(101), 'entries', 'namespace'],
    ['notes', '', 'endpoint'],
    ['notes', 'a//b', 'endpoint'],
    ['notes', '/a', 'endpoint'],
    ['notes', 'a/', 'endpoint'],
    ['notes', 'Entries', 'endpoint'],
    ['notes', 'a b', 'endpoint'],
    ['notes', 'e'.repeat(201), 'endpoint'],
  ];
  for (const [namespace, endpoint, field] of refused) {
    it(`refuses ${JSON.stringify(`${namespace.slice(0, 20)}/${endpoint.slice(0, 20)}`)} (field ${field})`, () => {
      assert.throws(() => table(namespace, endpoint), (err: unknown) => err instanceof InvalidInput && err.field === field);
    });
  }
});

describe('renderRecords: records as the API answers them', () => {
  it('splices each record’s stored JSON text in unchanged', () => {
    const json = '{"b":1,"a":{"$where":"x"},"n":1e+300}';
    const text = renderRecords([{ endpoint: 'notes/entries', recordId: 'id-1', json }]);
    assert.equal(text, `[{"endpoint":"notes/entries","recordId":"id-1","data":${json}}]`);
    assert.deepEqual(JSON.parse(text)[0].data, JSON.parse(json));
    assert.equal(renderRecords([]), '[]');
  });
});
