import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Entry, EntryQuery, EventKey } from '../../storage';
import { cursorOf } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { TRICKY_IDS, provider, record, keyOf, run, taken } from './fixtures';

/** A window of time no other test writes in: listings across providers stay this test's own. */
const window = (year: number) => {
  const since = Date.UTC(year, 0, 1) + Math.floor(Math.random() * 300 * 86_400_000);
  return { since: new Date(since), until: new Date(since + 60_000), at: (ms: number) => new Date(since + ms) };
};

export const SEARCH: GroupSpec = {
  title: 'search and paging',
  register(s) {
    const keys = (list: readonly EventKey[]) => list.map((e) => `${e.provider} ${e.id}`);

    /** Every page of `query` of `size`, each after the last entry of the one before, until one comes back short. */
    async function pages(query: EntryQuery, size: number): Promise<Entry[][]> {
      const all: Entry[][] = [];
      for (let after: Entry | undefined; all.length < 100;) {
        const page = await s.storage.listEntries({ ...query, limit: size, ...(after ? { after: cursorOf(after) } : {}) });
        all.push(page);
        if (page.length < size) return all;
        after = page.at(-1);
      }
      return assert.fail('paging did not end');
    }

    s.test('finds an event id exactly, under every provider or one', async () => {
      const id = randomUUID();
      const [a, b] = [record({ id }), record({ id })];
      taken(await s.storage.admit(a, run('o')));
      taken(await s.storage.admit(b, { as: 'pending' }));
      taken(await s.storage.admit(record({ provider: a.provider, id: `${id}x` }), run('o')));
      assert.deepEqual(new Set(keys(await s.storage.listEntries({ id }))), new Set(keys([a, b])));
      assert.deepEqual(keys(await s.storage.listEntries({ id, provider: b.provider })), [`${b.provider} ${id}`]);
      assert.deepEqual(keys(await s.storage.listEntries({ id, status: 'pending' })), [`${b.provider} ${id}`]);
      assert.deepEqual(await s.storage.listEntries({ id: id.slice(0, -1) }), [], 'exactly, not a prefix');
      assert.deepEqual(await s.storage.listEntries({ id: randomUUID() }), []);
    });

    s.test('finds ids and token references that need care, exactly', async () => {
      const p = provider();
      const tricky = TRICKY_IDS.filter((id) => id.length < 100);
      for (const id of tricky) taken(await s.storage.admit(record({ provider: p, id, tokenRef: `t${id}` }), run('o')));
      for (const id of tricky) {
        assert.deepEqual((await s.storage.listEntries({ provider: p, id })).map((e) => e.id), [id], JSON.stringify(id));
        assert.deepEqual((await s.storage.listEntries({ provider: p, tokenRef: `t${id}` })).map((e) => e.id), [id], JSON.stringify(id));
      }
    });

    s.test('finds a token reference under every provider, newest first', async () => {
      const tokenRef = `tok-${randomUUID()}`;
      const w = window(2011);
      const [a, b, c] = [1, 2, 3].map((ms) => record({ tokenRef, receivedAt: w.at(ms) }));
      for (const r of [b!, a!, c!]) taken(await s.storage.admit(r, run('o')));
      assert.deepEqual(keys(await s.storage.listEntries({ tokenRef, order: 'newest' })), keys([c!, b!, a!]));
      assert.deepEqual(keys(await s.storage.listEntries({ tokenRef, order: 'newest', limit: 2 })), keys([c!, b!]));
      assert.deepEqual(keys(await s.storage.listEntries({ tokenRef, provider: a!.provider })), keys([a!]));
    });

    s.test('pages after a cursor, newest or oldest first, each entry once, entries of one millisecond included', async () => {
      const w = window(2012);
      const p = provider();
      const records = Array.from({ length: 11 }, (_, i) => record({
        provider: i % 3 === 0 ? provider() : p, id: `${'abc'[i % 3]}-${randomUUID()}`, receivedAt: w.at(i < 6 ? 5 : i),
      }));
      for (const r of records) taken(await s.storage.admit(r, { as: 'pending' }));
      for (const order of ['newest', 'oldest'] as const) {
        const query: EntryQuery = { since: w.since, until: w.until, order };
        const whole = await s.storage.listEntries({ ...query, limit: 100 });
        assert.equal(whole.length, records.length);
        const sign = order === 'newest' ? -1 : 1;
        assert.ok(whole.every((e, i) => i === 0 || sign * (e.receivedAt.getTime() - whole[i - 1]!.receivedAt.getTime()) >= 0), `${order} first`);
        for (const size of [1, 2, 4, 5]) {
          const paged = await pages(query, size);
          assert.deepEqual(keys(paged.flat()), keys(whole), `${order}, pages of ${size}`);
          assert.ok(paged.slice(0, -1).every((page) => page.length === size));
        }
      }
      const mine = await pages({ provider: p, since: w.since, until: w.until, order: 'newest' }, 3);
      assert.deepEqual(mine.flat().map((e) => e.provider), Array(7).fill(p));
    });

    s.test('combines search, filters and a cursor', async () => {
      const w = window(2013);
      const p = provider();
      const tokenRef = `tok-${randomUUID()}`;
      const records = Array.from({ length: 6 }, (_, i) => record({ provider: p, tokenRef, receivedAt: w.at(i * 1000) }));
      for (const [i, r] of records.entries()) {
        taken(await s.storage.admit(r, run('o')));
        if (i % 2 === 0) await s.storage.settle(keyOf(r), 'o', { status: 'done' });
      }
      const done = await s.storage.listEntries({ provider: p, status: 'done', since: w.at(1000), until: w.until, order: 'newest' });
      assert.deepEqual(done.map((e) => e.id), [records[4]!.id, records[2]!.id]);
      const next = await s.storage.listEntries({ provider: p, status: 'done', order: 'newest', after: cursorOf(done[0]!) });
      assert.deepEqual(next.map((e) => e.id), [records[2]!.id, records[0]!.id]);
      const running = await s.storage.listEntries({ tokenRef, status: 'running', until: w.at(5000), order: 'oldest', after: cursorOf(records[1]!) });
      assert.deepEqual(running.map((e) => e.id), [records[3]!.id]);
      assert.deepEqual((await s.storage.listEntries({ id: records[3]!.id, tokenRef, status: 'running' })).map((e) => e.id), [records[3]!.id]);
      assert.deepEqual(await s.storage.listEntries({ id: records[3]!.id, status: 'done' }), []);
    });
  },
};

/** `listEntries` as an operations view searches and pages: an event id or a token reference exactly, with or without a
 * provider; after a cursor (keyset), newest or oldest first, each entry once, entries of one millisecond included; and
 * every filter together. */
export const searchConformance: ConformanceGroup = conformanceGroup(SEARCH);
