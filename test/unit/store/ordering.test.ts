import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { compareText, sortByValue, sortValueAt, type Direction, type SortValue } from '../../../src/store/ordering.js';

/**
 * The in-memory ordering a store uses when it cannot sort inside the record text (MongoDB) must be
 * SQLite's `ORDER BY (v IS NULL), v <dir>, seq <dir>` over json_extract, which the embedded store
 * runs. The last test holds the two side by side on awkward data.
 */

describe('reading the value a record sorts by', () => {
  it('takes numbers as numbers and booleans as 1 and 0', () => {
    assert.equal(sortValueAt('{"v":-2.5}', 'v'), -2.5);
    assert.equal(sortValueAt('{"v":true}', 'v'), 1);
    assert.equal(sortValueAt('{"v":false}', 'v'), 0);
  });

  it('takes texts as texts, and objects and arrays as their minified JSON text', () => {
    assert.equal(sortValueAt('{"v":"x"}', 'v'), 'x');
    assert.equal(sortValueAt('{"v": { "b" : [1, 2] }}', 'v'), '{"b":[1,2]}');
    assert.equal(sortValueAt('{"v":[]}', 'v'), '[]');
  });

  it('follows a dotted path through objects', () => {
    assert.equal(sortValueAt('{"a":{"b":{"c":3}}}', 'a.b.c'), 3);
    assert.equal(sortValueAt('{"a-b":{"c_d":"x"}}', 'a-b.c_d'), 'x');
  });

  it('answers null for null, a missing field, a path through a non-object, or malformed text', () => {
    assert.equal(sortValueAt('{"v":null}', 'v'), null);
    assert.equal(sortValueAt('{}', 'v'), null);
    assert.equal(sortValueAt('{"a":5}', 'a.b'), null);
    assert.equal(sortValueAt('{"a":"text"}', 'a.length'), null);
    assert.equal(sortValueAt('[1,2]', 'v'), null);
    assert.equal(sortValueAt('not json', 'v'), null);
  });

  it('does not index arrays by a numeric segment', () => {
    assert.equal(sortValueAt('{"a":[7,8]}', 'a.0'), null);
  });

  it('reads only the record’s own keys: __proto__ is data, inherited names are missing', () => {
    assert.equal(sortValueAt('{"__proto__":{"x":4}}', '__proto__.x'), 4);
    assert.equal(sortValueAt('{}', '__proto__'), null);
    assert.equal(sortValueAt('{}', 'constructor'), null);
    assert.equal(sortValueAt('{"a":{}}', 'a.toString'), null);
    assert.equal(sortValueAt('{"constructor":"c"}', 'constructor'), 'c');
  });
});

describe('comparing texts', () => {
  it('orders by code point, as SQLite compares UTF-8 bytes, not by UTF-16 unit', () => {
    // U+1F600 is above U+FFFF, though its first UTF-16 unit (0xD83D) is below 0xFFFF.
    assert.ok('😀' < '\uffff', 'UTF-16 order puts the emoji first');
    assert.ok(compareText('😀', '\uffff') > 0);
    assert.ok(compareText('\ue000', '😀') < 0);
    assert.ok(compareText('😀', '😁') < 0);
    assert.ok(compareText('B', 'a') < 0);
    assert.ok(compareText('a', 'ab') < 0);
    assert.equal(compareText('é', 'é'), 0);
  });
});

describe('sorting by value', () => {
  const items = (values: SortValue[]) => values.map((value, seq) => ({ value, seq }));
  const seqs = (values: SortValue[], direction: Direction) => sortByValue(items(values), direction).map((i) => i.seq);

  it('puts numbers before texts, and nulls last in both directions', () => {
    assert.deepEqual(seqs(['a', null, 2, 'B', 1], 'ascending'), [4, 2, 3, 0, 1]);
    assert.deepEqual(seqs(['a', null, 2, 'B', 1], 'descending'), [0, 3, 2, 4, 1]);
  });

  it('breaks ties by insertion order in the direction of the ordering', () => {
    assert.deepEqual(seqs([1, 1, null, 1, null], 'ascending'), [0, 1, 3, 2, 4]);
    assert.deepEqual(seqs([1, 1, null, 1, null], 'descending'), [3, 1, 0, 4, 2]);
  });
});

describe('the in-memory ordering against SQLite', () => {
  const values: unknown[] = [
    0, -0, 1, 1.0, 1.5, -3, 10, 9, 1e21, -1e-7, 2 ** 53, true, false, null, undefined,
    '', 'a', 'A', 'b', 'ab', '10', '9', 'é', 'e\u0301', '\ue000', '\uffff', '😀', '😁', ' ', '{', '[', 'z',
    {}, [], { b: 1 }, { a: { b: 2 } }, [1, 'two'], [null], { v: 'nested' },
  ];
  const documents = values.flatMap((v) => [
    v === undefined ? {} : { v },
    { v: { w: v } },
    v === undefined ? { __proto__x: 1 } : JSON.parse(`{"__proto__":${JSON.stringify(v)}}`),
  ]);
  const texts = documents.map((d) => JSON.stringify(d));
  const jsonPath = (field: string) => '$' + field.split('.').map((p) => `."${p}"`).join('');

  for (const field of ['v', 'v.w', '__proto__', 'constructor', 'v.0']) {
    for (const direction of ['ascending', 'descending'] as const) {
      it(`orders by ${field}, ${direction}, exactly as SQLite does`, () => {
        const db = new Database(':memory:');
        try {
          db.exec('CREATE TABLE t (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)');
          const insert = db.prepare('INSERT INTO t (seq, json) VALUES (?, ?)');
          texts.forEach((json, seq) => insert.run(seq, json));
          const dir = direction === 'descending' ? 'DESC' : 'ASC';
          const expected = db
            .prepare(
              `SELECT seq FROM (SELECT seq, json_extract(json, ?) AS v FROM t) ORDER BY (v IS NULL), v ${dir}, seq ${dir}`,
            )
            .pluck()
            .all(jsonPath(field)) as number[];
          const actual = sortByValue(
            texts.map((json, seq) => ({ seq, value: sortValueAt(json, field) })),
            direction,
          ).map((i) => i.seq);
          assert.deepEqual(actual, expected);
        } finally {
          db.close();
        }
      });
    }
  }
});
