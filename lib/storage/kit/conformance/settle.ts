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
  },
};

/** `settle`: `failed` and `dead` recorded only for the lease holder, `done` for anyone; `false` for a missing entry. */
export const settleConformance: ConformanceGroup = conformanceGroup(SETTLE);
