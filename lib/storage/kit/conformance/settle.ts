import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { provider, record, keyOf, run, taken } from './fixtures';

export const SETTLE: GroupSpec = {
  title: 'settle',
  register(s) {
    s.test('records failed and dead only for the lease holder; done for anyone', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'b', { status: 'failed', error: 'x', retryInMs: 0 }), false);
      assert.equal(await s.storage.settle(keyOf(r), 'b', { status: 'dead', error: 'x' }), false);
      assert.equal((await s.storage.getEntry(keyOf(r)))?.status, 'running');
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'dead', error: 'gave up' }), true);
      const dead = await s.storage.getEntry(keyOf(r));
      assert.deepEqual([dead?.status, dead?.lastError], ['dead', 'gave up']);
      const other = record();
      taken(await s.storage.admit(other, run('a')));
      assert.equal(await s.storage.settle(keyOf(other), 'someone-else', { status: 'done' }), true);
      const done = await s.storage.getEntry(keyOf(other));
      assert.deepEqual([done?.status, done?.projection], ['done', 'changed']);
      assert.equal(await s.storage.settle({ provider: provider(), id: 'missing' }, 'a', { status: 'done' }), false);
    });

    s.test('settleMany: each as settle would, answered in order', async () => {
      if (!s.storage.settleMany) s.skip('the store has no settleMany()');
      const [done, notOurs, dead] = [record(), record(), record()];
      for (const r of [done, notOurs, dead]) taken(await s.storage.admit(r, run('o')));
      const missing = { provider: provider(), id: 'missing' };
      assert.deepEqual(await s.storage.settleMany!([
        { key: keyOf(done), owner: 'o', settlement: { status: 'done' } },
        { key: keyOf(notOurs), owner: 'x', settlement: { status: 'failed', error: 'x', retryInMs: 0 } },
        { key: keyOf(dead), owner: 'o', settlement: { status: 'dead', error: 'gave up' } },
        { key: missing, owner: 'o', settlement: { status: 'done' } },
      ]), [true, false, true, false]);
      assert.deepEqual(await s.storage.settleMany!([]), []);
      const [a, b, c] = await Promise.all([done, notOurs, dead].map((r) => s.storage.getEntry(keyOf(r))));
      assert.deepEqual([a?.status, b?.status, c?.status, c?.lastError], ['done', 'running', 'dead', 'gave up']);
      if (s.storage.getHistory) {
        assert.deepEqual((await s.storage.getHistory(keyOf(dead))).attempts.map((x) => [x.attempt, x.outcome, x.error]), [[1, 'dead', 'gave up']]);
        assert.deepEqual((await s.storage.getHistory(keyOf(done))).attempts.map((x) => [x.attempt, x.outcome]), [[1, 'done']]);
      }
      const failed = record();
      taken(await s.storage.admit(failed, run('o')));
      assert.deepEqual(await s.storage.settleMany!([{ key: keyOf(failed), owner: 'o', settlement: { status: 'failed', error: 'later', retryInMs: 60_000 } }]), [true]);
      assert.equal(await s.storage.lease('w', 60_000, keyOf(failed)), undefined, 'due after its retry delay');
    });
  },
};

/** `settle`: `failed` and `dead` recorded only for the lease holder, `done` for anyone; `false` for a missing entry; `settleMany` (where the store has it) the same, for many. */
export const settleConformance: ConformanceGroup = conformanceGroup(SETTLE);
