import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Reply } from '../support/http.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DATA = '/api/v2.6/data';

interface Rec {
  endpoint: string;
  recordId: string;
  data: Record<string, unknown>;
}

describe('the data API (SPEC 8)', () => {
  let server: TestServer;
  let owner: string;
  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> =>
    server.call('alice', path, { method, headers: { 'x-auth-token': owner, ...headers }, ...(body === undefined ? {} : { body }) });
  const read = async (path: string): Promise<Rec[]> => {
    const reply = await call('GET', path);
    assert.equal(reply.status, 200, reply.text);
    return reply.json();
  };

  before(async () => {
    server = await startTestServer();
    owner = (await server.createHat('alice')).token;
    await server.createHat('bob');
  });
  after(() => server.stop());

  describe('writing', () => {
    it('stores one object and answers 201 with that one record object, as the original did', async () => {
      const reply = await call('POST', `${DATA}/notes/today`, { text: 'hello', tags: ['a', 'b'] });
      assert.equal(reply.status, 201);
      const record = reply.json() as Rec;
      assert.equal(Array.isArray(record), false);
      const arrayOfOne = await call('POST', `${DATA}/notes/listed`, [{ one: 1 }]);
      assert.equal(arrayOfOne.json().length, 1, 'an array of one is answered as an array');
      assert.equal(record!.endpoint, 'notes/today');
      assert.match(record!.recordId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.deepEqual(record!.data, { text: 'hello', tags: ['a', 'b'] });
      assert.deepEqual(await read(`${DATA}/notes/today`), [record]);
    });

    it('stores a batch in order and returns every record', async () => {
      const batch = [{ n: 1 }, { n: 2 }, { n: 3 }];
      const reply = await call('POST', `${DATA}/notes/batch`, batch);
      assert.equal(reply.status, 201);
      assert.deepEqual(reply.json().map((r: Rec) => r.data), batch);
      assert.deepEqual((await read(`${DATA}/notes/batch`)).map((r) => r.data), batch);
    });

    it('accepts endpoints with several segments', async () => {
      assert.equal((await call('POST', `${DATA}/fitness/steps/2024/daily`, { steps: 10 })).status, 201);
      assert.equal((await read(`${DATA}/fitness/steps/2024/daily`))[0]!.endpoint, 'fitness/steps/2024/daily');
    });

    it('stores nothing of a batch with one bad record (400 naming it)', async () => {
      for (const bad of [42, null, 'text', [1, 2], true]) {
        const reply = await call('POST', `${DATA}/notes/atomic`, [{ ok: 1 }, { ok: 2 }, bad, { ok: 4 }]);
        assert.equal(reply.status, 400, JSON.stringify(bad));
        assert.match(reply.json().cause, /Record 2 of the batch .*must be a JSON object. Nothing was stored/);
      }
      assert.deepEqual(await read(`${DATA}/notes/atomic`), []);
    });

    it('refuses numbers it could not return as sent (out of range, integers beyond 2^53), and stores nothing', async () => {
      for (const text of ['{"big": 1e400}', '{"id": 12345678901234567890}', '[{"ok": 1}, {"deep": {"list": [1, -1e999]}}]']) {
        const reply = await call('POST', `${DATA}/notes/exact`, text, { 'content-type': 'application/json' });
        assert.equal(reply.status, 400, text);
        assert.match(reply.json().cause, /cannot be stored exactly.*Nothing was stored/);
      }
      assert.deepEqual(await read(`${DATA}/notes/exact`), []);
      const fine = await call('POST', `${DATA}/notes/exact`, '{"n": 9007199254740991, "f": 0.1, "e": 1e300}', { 'content-type': 'application/json' });
      assert.equal(fine.status, 201, fine.text);
      assert.deepEqual((await read(`${DATA}/notes/exact`))[0]?.data, { n: 9007199254740991, f: 0.1, e: 1e300 });
    });

    it('refuses a single value that is not an object (400)', async () => {
      for (const body of ['"just text"', '42', 'null', 'true']) {
        const reply = await call('POST', `${DATA}/notes/single`, body, { 'content-type': 'application/json' });
        assert.equal(reply.status, 400, body);
        assert.match(reply.json().cause, /The record is .*must be a JSON object/);
      }
    });

    it('answers an empty batch with 201 and an empty list', async () => {
      const reply = await call('POST', `${DATA}/notes/empty`, []);
      assert.equal(reply.status, 201);
      assert.deepEqual(reply.json(), []);
    });

    it('refuses more than 1,000 records in one request, and stores none', async () => {
      const reply = await call('POST', `${DATA}/notes/many`, Array.from({ length: 1001 }, (_, i) => ({ i })));
      assert.equal(reply.status, 400);
      assert.match(reply.json().cause, /At most 1000 records/);
      assert.deepEqual(await read(`${DATA}/notes/many?take=1`), []);
    });

    it('refuses a body over 1 MiB (413), one that is not JSON (400) or not sent as JSON (415)', async () => {
      const big = await call('POST', `${DATA}/notes/big`, { blob: 'x'.repeat(1024 * 1024) });
      assert.equal(big.status, 413);
      const broken = await call('POST', `${DATA}/notes/big`, '{"a": ', { 'content-type': 'application/json' });
      assert.equal(broken.status, 400);
      const text = await call('POST', `${DATA}/notes/big`, 'a=1', { 'content-type': 'text/plain' });
      assert.equal(text.status, 415);
      assert.deepEqual(await read(`${DATA}/notes/big`), []);
    });

    it('accepts a body just under 1 MiB', async () => {
      const reply = await call('POST', `${DATA}/notes/large`, { blob: 'x'.repeat(1024 * 1024 - 100) });
      assert.equal(reply.status, 201);
    });
  });

  describe('opaque data', () => {
    const tricky = `{"$where":"sleep(1000)","__proto__":{"isAdmin":true},"a.b":{"$gt":""},"constructor":{"prototype":{"x":1}},"$set":{"owner":"mallory"},"emoji":"😀","nested":[{"$ne":null}]}`;

    it('stores keys such as $where, __proto__ and a.b as plain keys and returns them as given', async () => {
      const reply = await call('POST', `${DATA}/tricky/keys`, tricky, { 'content-type': 'application/json' });
      assert.equal(reply.status, 201);
      assert.ok(reply.text.includes(`"data":${tricky}`), 'the answer carries the data as sent');
      const again = await call('GET', `${DATA}/tricky/keys`);
      assert.ok(again.text.includes(`"data":${tricky}`), 'a read returns the data as sent');
      const [record] = again.json() as Rec[];
      assert.ok(Object.hasOwn(record!.data, '__proto__'), '__proto__ is an own key, not a prototype');
      assert.equal(({} as Record<string, unknown>).isAdmin, undefined, 'no prototype was polluted');
    });

    it('never treats data as a query: the keys do not change what other reads return', async () => {
      await call('POST', `${DATA}/tricky/other`, { plain: 1 });
      assert.equal((await read(`${DATA}/tricky/other`)).length, 1);
      assert.equal((await read(`${DATA}/tricky/keys`)).length, 1);
    });
  });

  describe('reading', () => {
    before(async () => {
      const rows = [
        { n: 3, name: 'c', place: { city: 'Oslo' } },
        { n: 1, name: 'a', place: { city: 'Bergen' } },
        { n: 5, name: 'e' },
        { n: 2, name: 'b', place: { city: 'Alta' } },
        { n: 4, name: 'd', place: { city: null } },
      ];
      for (const row of rows) assert.equal((await call('POST', `${DATA}/sorted/rows`, row)).status, 201);
    });
    const ns = (records: Rec[]) => records.map((r) => r.data.n);

    it('returns the oldest first by default, newest first with ordering=descending', async () => {
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows`)), [3, 1, 5, 2, 4]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?ordering=descending`)), [4, 2, 5, 1, 3]);
    });

    it('orders by a field of the data, nested fields included, with missing values last', async () => {
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=n`)), [1, 2, 3, 4, 5]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=n&ordering=descending`)), [5, 4, 3, 2, 1]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=place.city`)), [2, 1, 3, 5, 4]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=place.city&ordering=descending`)), [3, 1, 2, 4, 5]);
    });

    it('pages with skip and take', async () => {
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=n&skip=1&take=2`)), [2, 3]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?orderBy=n&skip=4&take=10`)), [5]);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?skip=5`)), []);
      assert.deepEqual(ns(await read(`${DATA}/sorted/rows?take=0`)), []);
    });

    it('ignores query parameters it does not know, and the token parameter', async () => {
      const reply = await server.call('alice', `${DATA}/sorted/rows?n=1&X-Auth-Token=${owner}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.json().length, 5);
    });

    it('returns 1,000 records by default and clamps a larger take to 1,000', async () => {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ i }));
      assert.equal((await call('POST', `${DATA}/bulk/rows`, batch)).status, 201);
      assert.equal((await call('POST', `${DATA}/bulk/rows`, [{ i: 1000 }, { i: 1001 }])).status, 201);
      assert.equal((await read(`${DATA}/bulk/rows`)).length, 1000);
      assert.equal((await read(`${DATA}/bulk/rows?take=5000`)).length, 1000);
      const tail = await read(`${DATA}/bulk/rows?skip=1000&take=99999999`);
      assert.deepEqual(tail.map((r) => r.data.i), [1000, 1001]);
    });

    it('answers an endpoint with no records with an empty list', async () => {
      assert.deepEqual(await read(`${DATA}/sorted/nothing-here`), []);
    });

    const badQueries: Array<[string, RegExp]> = [
      ['ordering=up', /ordering must be "ascending" or "descending"/],
      ['ordering=ASCENDING', /ordering/],
      ['skip=-1', /skip must be a whole number/],
      ['skip=abc', /skip/],
      ['take=1.5', /take must be a whole number/],
      ['take=-5', /take/],
      ['take=1e3', /take/],
      ['take=1&take=2', /take must be given at most once/],
      ['orderBy=$where', /orderBy must be a field/],
      ['orderBy=a..b', /orderBy/],
      ['orderBy=a%27)%20OR%201%3D1--', /orderBy/],
      ['orderBy=a%22.b', /orderBy/],
    ];
    for (const [query, cause] of badQueries) {
      it(`refuses ?${query} with 400`, async () => {
        const reply = await call('GET', `${DATA}/sorted/rows?${query}`);
        assert.equal(reply.status, 400);
        assert.match(reply.json().cause, cause);
      });
    }
  });

  describe('table names', () => {
    const bad = ['Notes/today', 'no_tes/today', 'notes/To-day', 'notes/a//b', 'notes/a/', 'n%24where/x', 'notes/a.b', `${'n'.repeat(101)}/x`];
    for (const path of bad) {
      it(`refuses /data/${path.slice(0, 40)} with 400 for every method`, async () => {
        for (const method of ['GET', 'POST', 'DELETE']) {
          const reply = await call(method, `${DATA}/${path}`, method === 'POST' ? { a: 1 } : undefined);
          assert.equal(reply.status, 400, `${method} ${path}`);
          assert.match(reply.json().cause, /namespace|endpoint/);
        }
      });
    }

    it('refuses a namespace without an endpoint with 400', async () => {
      const reply = await call('GET', `${DATA}/notes`);
      assert.equal(reply.status, 400);
      assert.match(reply.json().cause, /needs an endpoint/);
    });
  });

  describe('deleting', () => {
    it('deletes every record of one endpoint and says how many', async () => {
      await call('POST', `${DATA}/trash/a`, [{ x: 1 }, { x: 2 }]);
      await call('POST', `${DATA}/trash/b`, [{ x: 3 }]);
      const reply = await call('DELETE', `${DATA}/trash/a`);
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json(), { message: 'All records deleted', deleted: 2 });
      assert.deepEqual(await read(`${DATA}/trash/a`), []);
      assert.equal((await read(`${DATA}/trash/b`)).length, 1, 'other endpoints are untouched');
      assert.equal((await call('DELETE', `${DATA}/trash/a`)).json().deleted, 0);
    });

    it('deletes chosen records by id, in both query forms', async () => {
      const made: Rec[] = (await call('POST', `${DATA}/trash/ids`, [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }])).json();
      const [a, b, c, d] = made.map((r) => r.recordId);
      const comma = await call('DELETE', `${DATA}?records=${a},${b}`);
      assert.equal(comma.status, 200);
      assert.deepEqual(comma.json(), { message: 'All records deleted', deleted: 2 });
      const repeated = await call('DELETE', `${DATA}?records=${c}&records=${d}`);
      assert.equal(repeated.json().deleted, 2);
      assert.deepEqual(await read(`${DATA}/trash/ids`), []);
    });

    it('deletes nothing when one id is unknown (404 naming it)', async () => {
      const [kept] = (await call('POST', `${DATA}/trash/keep`, [{ k: 1 }])).json() as Rec[];
      const unknown = '00000000-0000-4000-8000-000000000000';
      const reply = await call('DELETE', `${DATA}?records=${kept!.recordId},${unknown}`);
      assert.equal(reply.status, 404);
      assert.match(reply.json().cause, new RegExp(`${unknown}.*nothing was deleted`));
      assert.equal((await read(`${DATA}/trash/keep`)).length, 1);
    });

    it("cannot delete another HAT's records: they are unknown here (404)", async () => {
      const bob = await server.ownerToken('bob');
      const made = await server.call('bob', `${DATA}/mine/x`, { method: 'POST', headers: { 'x-auth-token': bob }, body: { secret: 1 } });
      const id = (made.json() as Rec).recordId;
      assert.equal((await call('DELETE', `${DATA}?records=${id}`)).status, 404);
      const still = await server.call('bob', `${DATA}/mine/x`, { headers: { 'x-auth-token': bob } });
      assert.equal(still.json().length, 1);
    });

    it('refuses a missing or malformed list of ids (400)', async () => {
      for (const query of ['', '?records=', '?records=,,', '?records=not-a-uuid', '?records=1;DROP']) {
        const reply = await call('DELETE', `${DATA}${query}`);
        assert.equal(reply.status, 400, query);
        assert.match(reply.json().cause, /records|record id/);
      }
    });
  });

  describe('sources', () => {
    it('lists the namespaces and endpoints that hold records', async () => {
      const reply = await call('GET', `${DATA}/sources`);
      assert.equal(reply.status, 200);
      const sources = reply.json();
      assert.deepEqual(sources.sorted, ['rows']);
      assert.deepEqual(sources.fitness, ['steps/2024/daily']);
      assert.ok(sources.notes.includes('today') && sources.notes.includes('batch'));
      assert.ok(!('atomic' in sources.notes), 'a refused batch left nothing behind');
    });

    it("keeps each HAT's data to itself", async () => {
      const bob = await server.ownerToken('bob');
      const reply = await server.call('bob', `${DATA}/sources`, { headers: { 'x-auth-token': bob } });
      assert.deepEqual(reply.json(), { mine: ['x'] });
      const notes = await server.call('bob', `${DATA}/notes/today`, { headers: { 'x-auth-token': bob } });
      assert.deepEqual(notes.json(), []);
    });

    it('answers 405 to a method other than GET', async () => {
      assert.equal((await call('POST', `${DATA}/sources`, {})).status, 405);
    });
  });
});
