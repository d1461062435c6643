import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, record, keyOf, run, taken } from './fixtures';

export const REQUEUE: GroupSpec = {
  title: 'requeue',
  register(s) {
    s.test('makes failed, dead and done entries pending again with no attempts, and answers their keys', async () => {
      const id = randomUUID();
      const [a, b, c, d] = [record({ id }), record({ id }), record({ id }), record({ id })];
      for (const r of [a, b, c, d]) taken(await s.storage.admit(r, run('o')));
      await s.storage.settle(keyOf(a), 'o', { status: 'failed', error: 'x', retryInMs: LONG });
      await s.storage.settle(keyOf(b), 'o', { status: 'dead', error: 'x' });
      await s.storage.settle(keyOf(c), 'o', { status: 'done' });
      const keys = await s.storage.requeue(id, a.provider);
      assert.deepEqual(keys, [keyOf(a)]);
      const requeued = await s.storage.getEntry(keyOf(a));
      assert.deepEqual([requeued?.status, requeued?.attempts], ['pending', 0]);
      const rest = await s.storage.requeue(id);
      assert.deepEqual(new Set(rest.map((k) => k.provider)), new Set([b.provider, c.provider]), 'running entries are left alone');
      assert.equal((await s.storage.lease('w', LONG, keyOf(b)))?.attempts, 1);
      assert.deepEqual(await s.storage.requeue(randomUUID()), []);
    });

    s.test('with `from`, requeues only entries in those statuses, checked in the same step', async () => {
      const id = randomUUID();
      const [dead, done] = [record({ id }), record({ id })];
      for (const r of [dead, done]) taken(await s.storage.admit(r, run('o')));
      await s.storage.settle(keyOf(dead), 'o', { status: 'dead', error: 'x' });
      await s.storage.settle(keyOf(done), 'o', { status: 'done' });
      assert.deepEqual(await s.storage.requeue(id, done.provider, ['dead']), [], 'a done entry is not a dead letter');
      assert.equal((await s.storage.getEntry(keyOf(done)))?.status, 'done');
      assert.deepEqual(await s.storage.requeue(id, undefined, ['dead']), [keyOf(dead)]);
      assert.deepEqual(await s.storage.requeue(id, dead.provider, ['dead']), [], 'pending now: a second bulk replay finds nothing');
    });
  },
};

/** `requeue`: `failed`, `dead` and `done` entries made `pending` with no attempts, by id and provider; running ones left alone. */
export const requeueConformance: ConformanceGroup = conformanceGroup(REQUEUE);
