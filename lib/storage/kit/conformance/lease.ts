import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, provider, record, keyOf, run, taken, until } from './fixtures';

export const LEASE: GroupSpec = {
  title: 'lease',
  register(s) {
    s.test('leases due pending entries to one owner each, counting attempts (oldest due first within a queue)', async () => {
      const p = provider();
      const first = record({ provider: p });
      const second = record({ provider: p });
      taken(await s.storage.admit(first, { as: 'pending' }));
      taken(await s.storage.admit(second, { as: 'pending' }));
      const mine = new Set([first.id, second.id]);
      const leased: string[] = [];
      // Other tests' entries may be due too: lease until both of ours came out.
      await until(async () => {
        const l = await s.storage.lease('w', LONG);
        if (!l) return true;
        if (mine.has(l.id)) {
          leased.push(l.id);
          assert.deepEqual([l.status, l.attempts], ['running', 1]);
        } else {
          await s.storage.settle(keyOf(l), 'w', { status: 'done' });
        }
        return leased.length === 2;
      }, s.expiryWaitMs, 'leasing both entries');
      // A sharded store (Redis Cluster) keeps one queue per shard: the order across shards is not promised.
      assert.deepEqual(new Set(leased), new Set([first.id, second.id]));
      assert.equal(await s.storage.lease('w', LONG, keyOf(first)), undefined, 'a leased entry is not due');
    });

    s.test('gives each due entry to exactly one of many concurrent workers', async () => {
      const p = provider();
      const records = Array.from({ length: 10 }, () => record({ provider: p }));
      for (const r of records) await s.storage.admit(r, { as: 'pending' });
      const results = await Promise.all(records.map((r, i) => Promise.all([
        s.storage.lease(`x${i}`, LONG, keyOf(r)), s.storage.lease(`y${i}`, LONG, keyOf(r)), s.storage.lease(`z${i}`, LONG, keyOf(r)),
      ])));
      for (const trio of results) assert.equal(trio.filter(Boolean).length, 1);
    });

    s.test('leases a failed entry once its retry is due, and an entry whose lease expired', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      await s.storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG });
      assert.equal(await s.storage.lease('w', LONG, keyOf(r)), undefined);
      const due = record();
      taken(await s.storage.admit(due, run('a')));
      await s.storage.settle(keyOf(due), 'a', { status: 'failed', error: 'boom', retryInMs: 0 });
      const leased = await s.storage.lease('w', 50, keyOf(due));
      assert.deepEqual([leased?.status, leased?.attempts, leased?.lastError], ['running', 2, 'boom']);
      await until(async () => (await s.storage.lease('v', LONG, keyOf(due))) !== undefined, s.expiryWaitMs, 'lease expiry');
      assert.equal((await s.storage.getEntry(keyOf(due)))?.attempts, 3);
    });

    s.test('never leases done, dead or quarantined entries', async () => {
      const done = record();
      const dead = record();
      const odd = record();
      taken(await s.storage.admit(done, run('a')));
      await s.storage.settle(keyOf(done), 'a', { status: 'done' });
      taken(await s.storage.admit(dead, run('a')));
      await s.storage.settle(keyOf(dead), 'a', { status: 'dead', error: 'gave up' });
      taken(await s.storage.admit(odd, { as: 'quarantined', error: 'unreadable' }));
      for (const r of [done, dead, odd]) assert.equal(await s.storage.lease('w', LONG, keyOf(r)), undefined);
    });
  },
};

/** `lease`: due entries to one owner each (one worker per entry among many), failed ones once their retry is due, expired
 * leases taken again, never `done`, `dead` or `quarantined` ones. */
export const leaseConformance: ConformanceGroup = conformanceGroup(LEASE);
