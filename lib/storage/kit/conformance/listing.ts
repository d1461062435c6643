import assert from 'node:assert/strict';
import type { Entry } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { provider, record, keyOf, run, taken } from './fixtures';

export const LISTING: GroupSpec = {
  title: 'listEntries',
  register(s) {
    s.test('filters by provider, token, status and time (since inclusive, until exclusive), oldest first, with a limit', async () => {
      const p = provider();
      const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, second));
      const records = [3, 1, 4, 2, 5].map((second) => record({ provider: p, receivedAt: at(second), tokenRef: second % 2 ? 'odd' : 'even' }));
      for (const r of records) taken(await s.storage.admit(r, run('o')));
      await s.storage.settle(keyOf(records[0]!), 'o', { status: 'done' });
      const seconds = (list: Entry[]) => list.map((e) => e.receivedAt.getUTCSeconds());
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p })), [1, 2, 3, 4, 5]);
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p, tokenRef: 'odd' })), [1, 3, 5]);
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p, since: at(2), until: at(4) })), [2, 3]);
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p, tokenRef: 'odd', since: at(3) })), [3, 5]);
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p, status: 'done' })), [3]);
      assert.deepEqual(seconds(await s.storage.listEntries({ provider: p, status: 'running', limit: 2 })), [1, 2]);
      assert.deepEqual(await s.storage.listEntries({ provider: p, tokenRef: 'none' }), []);
    });

    s.test('lists across providers by time, and at most 100 by default', async () => {
      const since = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9));
      const a = record({ receivedAt: new Date(since.getTime() + 1) });
      const b = record({ receivedAt: new Date(since.getTime() + 2) });
      taken(await s.storage.admit(b, { as: 'pending' }));
      taken(await s.storage.admit(a, { as: 'pending' }));
      assert.deepEqual((await s.storage.listEntries({ since, until: new Date(since.getTime() + 3) })).map((e) => e.id), [a.id, b.id]);
      const p = provider();
      for (let i = 0; i < 101; i++) await s.storage.admit(record({ provider: p, receivedAt: new Date(Date.UTC(2025, 0, 1) + i) }), { as: 'pending' });
      const found = await s.storage.listEntries({ provider: p });
      assert.equal(found.length, 100);
      assert.equal(found[99]!.receivedAt.getTime(), Date.UTC(2025, 0, 1) + 99);
    });
  },
};

/** `listEntries`: filters by provider, token, status and receipt time (`since` inclusive, `until` exclusive), oldest
 * first, at most 100 by default. */
export const listingConformance: ConformanceGroup = conformanceGroup(LISTING);
