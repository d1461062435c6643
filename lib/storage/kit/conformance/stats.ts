import assert from 'node:assert/strict';
import type { Entry } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, MINUTE, T0, provider, record, keyOf, run, taken } from './fixtures';

export const STATS: GroupSpec = {
  title: 'operations queries (order, conflicted, stats)',
  register(s) {
    const sorted = <T>(rows: readonly T[]) => rows.map((r) => JSON.stringify(r)).sort();
    const minute = (m: number) => new Date(T0 + m * MINUTE);
    // optional: a store without stats need not honour order or conflicted either
    const needsStats = () => { if (!s.storage.stats) s.skip('the store has no stats()'); };
    const statsOf = async (p: string, since = minute(-60), until = minute(60)) => s.storage.stats!({ provider: p, since, until });

    s.test('lists newest first when asked, the limit keeping the newest', async () => {
      needsStats();
      const p = provider();
      for (const ms of [3, 1, 4, 2]) taken(await s.storage.admit(record({ provider: p, receivedAt: new Date(T0 + ms) }), { as: 'pending' }));
      const times = (list: Entry[]) => list.map((e) => e.receivedAt.getTime() - T0);
      assert.deepEqual(times(await s.storage.listEntries({ provider: p, order: 'newest' })), [4, 3, 2, 1]);
      assert.deepEqual(times(await s.storage.listEntries({ provider: p, order: 'newest', limit: 2 })), [4, 3]);
      assert.deepEqual(times(await s.storage.listEntries({ provider: p, order: 'oldest', limit: 2 })), [1, 2]);
      assert.deepEqual(times(await s.storage.listEntries({ provider: p, tokenRef: 'tok-1', order: 'newest', until: new Date(T0 + 4) })), [3, 2, 1]);
    });

    s.test('lists and counts the entries that met a conflicting copy', async () => {
      needsStats();
      const p = provider();
      const clean = record({ provider: p });
      const disputed = record({ provider: p });
      taken(await s.storage.admit(clean, run('a')));
      taken(await s.storage.admit(disputed, run('a')));
      await s.storage.admit({ ...disputed, fingerprint: 'fp-other' }, run('b'));
      await s.storage.admit({ ...disputed, fingerprint: 'fp-third' }, run('b'));
      assert.deepEqual((await s.storage.listEntries({ provider: p, conflicted: true })).map((e) => [e.id, e.conflicts]), [[disputed.id, 2]]);
      assert.equal((await statsOf(p)).conflicted, 1);
    });

    s.test('counts entries received by minute, provider and current status, in whole minutes of the window', async () => {
      needsStats();
      const p = provider();
      const done = record({ provider: p, receivedAt: new Date(T0 + 10_000) });
      const pending = record({ provider: p, receivedAt: new Date(T0 + 70_000) });
      const quarantined = record({ provider: p, receivedAt: new Date(T0 + 80_000), type: 'unreadable' });
      const later = record({ provider: p, receivedAt: minute(5) });
      taken(await s.storage.admit(done, run('a')));
      await s.storage.settle(keyOf(done), 'a', { status: 'done' });
      taken(await s.storage.admit(pending, { as: 'pending' }));
      taken(await s.storage.admit(quarantined, { as: 'quarantined', error: 'schema_violation' }));
      taken(await s.storage.admit(later, { as: 'pending' }));
      const stats = await statsOf(p, new Date(T0 + 30_000), new Date(T0 + 90_000));
      assert.deepEqual(sorted(stats.received), sorted([
        { minute: minute(0), provider: p, status: 'done', count: 1 },
        { minute: minute(1), provider: p, status: 'pending', count: 1 },
        { minute: minute(1), provider: p, status: 'quarantined', count: 1 },
      ]));
      assert.deepEqual(sorted(stats.open), sorted([
        { provider: p, status: 'pending', count: 2 },
        { provider: p, status: 'quarantined', count: 1 },
      ]), 'open entries are counted whenever received; done ones are not');
      assert.equal(stats.conflicted, 0);
      assert.deepEqual((await s.storage.stats!({ provider: provider(), since: minute(0), until: minute(1) })),
        { received: [], open: [], tokens: [], conflicted: 0 });
    });

    s.test('keeps the counts through every transition: failed, dead, requeued, leased, done', async () => {
      needsStats();
      const p = provider();
      const r = record({ provider: p });
      const open = async () => sorted((await statsOf(p)).open);
      taken(await s.storage.admit(r, run('a')));
      assert.deepEqual(await open(), sorted([{ provider: p, status: 'running', count: 1 }]));
      await s.storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG });
      assert.deepEqual(await open(), sorted([{ provider: p, status: 'failed', count: 1 }]));
      taken(await s.storage.admit(r, run('b')));
      await s.storage.settle(keyOf(r), 'b', { status: 'dead', error: 'boom' });
      assert.deepEqual(await open(), sorted([{ provider: p, status: 'dead', count: 1 }]));
      await s.storage.requeue(r.id, p);
      assert.deepEqual(await open(), sorted([{ provider: p, status: 'pending', count: 1 }]));
      assert.equal((await s.storage.lease('c', LONG, keyOf(r)))?.status, 'running');
      await s.storage.settle(keyOf(r), 'c', { status: 'done' });
      assert.deepEqual(await open(), []);
      const received = (await statsOf(p)).received;
      assert.deepEqual(received, [{ minute: minute(0), provider: p, status: 'done', count: 1 }]);
    });

    s.test('counts tokens by provider and state as their states change', async () => {
      needsStats();
      const p = provider();
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'a', state: 'ACTIVE' }), run('o')));
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'b', state: 'ACTIVE' }), run('o')));
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'c', state: 'SUSPENDED', type: 'token.suspended' }), run('o')));
      assert.deepEqual(sorted((await statsOf(p)).tokens), sorted([
        { provider: p, state: 'ACTIVE', count: 2 }, { provider: p, state: 'SUSPENDED', count: 1 },
      ]));
      const deleted = record({ provider: p, tokenRef: 'a', state: 'DELETED', type: 'token.deleted', occurredAt: new Date(T0 + 1000) });
      taken(await s.storage.admit(deleted, run('o')));
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'b', state: 'ACTIVE', occurredAt: new Date(T0 + 1000) }), run('o')));
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'a', state: 'ACTIVE', occurredAt: new Date(T0 + 2000) }), run('o')));
      assert.deepEqual(sorted((await statsOf(p)).tokens), sorted([
        { provider: p, state: 'ACTIVE', count: 1 }, { provider: p, state: 'SUSPENDED', count: 1 }, { provider: p, state: 'DELETED', count: 1 },
      ]), 'a repeat and a stale event change no count');
    });

    s.test('forgets pruned entries', async () => {
      needsStats();
      const p = provider();
      const old = new Date(Date.UTC(2003, 0, 1) + Math.floor(Math.random() * 1e9));
      const r = record({ provider: p, receivedAt: old });
      taken(await s.storage.admit(r, run('a')));
      await s.storage.admit({ ...r, fingerprint: 'fp-other' }, run('b'));
      await s.storage.settle(keyOf(r), 'a', { status: 'done' });
      const window = [new Date(old.getTime() - MINUTE), new Date(old.getTime() + MINUTE)] as const;
      assert.equal((await statsOf(p, ...window)).received.length, 1);
      await s.storage.prune(new Date(old.getTime() + 1));
      const after = await statsOf(p, ...window);
      assert.deepEqual([after.received, after.conflicted], [[], 0]);
      assert.deepEqual(await s.storage.listEntries({ provider: p, conflicted: true }), []);
    });
  },
};

/** Operations queries, for a store with `stats` (skipped without it): newest-first and conflicted listings, counts by
 * minute, provider and status through every transition, token counts, and pruned entries forgotten in them. */
export const statsConformance: ConformanceGroup = conformanceGroup(STATS);
