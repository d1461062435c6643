import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import type { Entry } from '../../storage';
import { LONG, T0, pause, provider, record, keyOf, run, taken, until } from './fixtures';

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

    const needsLeaseMany = () => { if (!s.storage.leaseMany) s.skip('the store has no leaseMany()'); };

    s.test('leaseMany: up to its limit of due entries to one owner, counting attempts and applying states; fewer when fewer are due', async () => {
      needsLeaseMany();
      const p = provider();
      const records = Array.from({ length: 5 }, (_, i) => record({ provider: p, tokenRef: `tok-${i}` }));
      for (const r of records) taken(await s.storage.admit(r, { as: 'pending' }));
      const mine = new Set(records.map((r) => r.id));
      const leased = new Map<string, Entry>();
      // Other tests' entries may be due too: lease until all of ours came out, settling the others.
      await until(async () => {
        const batch = await s.storage.leaseMany!('w', LONG, 2);
        assert.ok(batch.length <= 2, `at most the limit, got ${batch.length}`);
        for (const e of batch) {
          if (!mine.has(e.id)) await s.storage.settle(keyOf(e), 'w', { status: 'done' });
          else {
            assert.equal(leased.has(e.id), false, `${e.id} leased twice`);
            leased.set(e.id, e);
          }
        }
        return leased.size === records.length || batch.length === 0;
      }, s.expiryWaitMs, 'leasing all five');
      assert.equal(leased.size, records.length);
      for (const e of leased.values()) assert.deepEqual([e.status, e.attempts, e.projection], ['running', 1, 'changed']);
      assert.equal((await s.storage.getTokenState(p, 'tok-3'))?.state, 'ACTIVE');
      for (const r of records) assert.equal(await s.storage.lease('v', LONG, keyOf(r)), undefined, 'a leased entry is not due');
      assert.equal(await s.storage.settle(keyOf(records[0]!), 'w', { status: 'failed', error: 'x', retryInMs: 0 }), true, 'settled by its owner');
      const again = await s.storage.leaseMany!('w2', LONG, 1000);
      assert.deepEqual(again.filter((e) => mine.has(e.id)).map((e) => [e.id, e.attempts]), [[records[0]!.id, 2]], 'a failed entry due again');
    });

    s.test('leaseMany: each due entry to exactly one of many concurrent calls', async () => {
      needsLeaseMany();
      const p = provider();
      const records = Array.from({ length: 20 }, (_, i) => record({ provider: p, tokenRef: `tok-${i % 3}` }));
      for (const r of records) await s.storage.admit(r, { as: 'pending' });
      const mine = new Set(records.map((r) => r.id));
      const seen = new Map<string, number>();
      await until(async () => {
        const batches = await Promise.all(Array.from({ length: 5 }, (_, i) => s.storage.leaseMany!(`c${i}`, LONG, 4)));
        for (const e of batches.flat()) if (mine.has(e.id)) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
        return seen.size === records.length || batches.every((b) => b.length === 0);
      }, s.expiryWaitMs, 'leasing all twenty');
      assert.equal(seen.size, records.length);
      assert.deepEqual([...seen.values()], Array(records.length).fill(1));
    });

    s.test("leaseMany: the entries of one token applied oldest due first, the token's count kept", async () => {
      needsLeaseMany();
      const p = provider();
      const newer = record({ provider: p, tokenRef: 'tok', state: 'SUSPENDED', occurredAt: new Date(T0 + 20_000) });
      const older = record({ provider: p, tokenRef: 'tok', state: 'ACTIVE', occurredAt: new Date(T0 + 10_000) });
      taken(await s.storage.admit(newer, { as: 'pending' }));
      await pause(5); // due later than the first, by any clock
      taken(await s.storage.admit(older, { as: 'pending' }));
      const leased = new Map<string, Entry>();
      await until(async () => {
        const batch = await s.storage.leaseMany!('w', LONG, 50);
        for (const e of batch) if (e.provider === p) leased.set(e.id, e);
        return leased.size === 2 || batch.length === 0;
      }, s.expiryWaitMs, 'leasing both');
      assert.equal(leased.get(newer.id)?.projection, 'changed');
      assert.deepEqual([leased.get(older.id)?.projection, leased.get(older.id)?.staleReason], ['stale', 'out_of_order']);
      assert.equal((await s.storage.getTokenState(p, 'tok'))?.state, 'SUSPENDED');
      if (s.storage.stats) {
        const stats = await s.storage.stats({ since: new Date(T0), until: new Date(T0 + 1), provider: p });
        assert.deepEqual(stats.tokens.map((t) => [t.state, t.count]), [['SUSPENDED', 1]]);
      }
    });
  },
};

/** `lease`: due entries to one owner each (one worker per entry among many), failed ones once their retry is due, expired
 * leases taken again, never `done`, `dead` or `quarantined` ones; `leaseMany` (where the store has it) the same, a batch at a time. */
export const leaseConformance: ConformanceGroup = conformanceGroup(LEASE);
