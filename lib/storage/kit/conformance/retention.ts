import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, DAY, provider, record, keyOf, run, taken } from './fixtures';

export const RETENTION: GroupSpec = {
  title: 'retention',
  register(s) {
    s.test('prunes done entries received before the cutoff; keeps newer ones, unfinished ones and token states', async () => {
      const p = provider();
      const now = Date.now();
      const at = (ms: number) => new Date(now - ms);
      const old = record({ provider: p, tokenRef: 't', receivedAt: at(8 * DAY) });
      const edge = record({ provider: p, tokenRef: 't', receivedAt: at(7 * DAY) });
      const failedOld = record({ provider: p, tokenRef: 't', receivedAt: at(9 * DAY) });
      for (const r of [old, edge, failedOld]) taken(await s.storage.admit(r, run('o')));
      await s.storage.settle(keyOf(old), 'o', { status: 'done' });
      await s.storage.settle(keyOf(edge), 'o', { status: 'done' });
      await s.storage.settle(keyOf(failedOld), 'o', { status: 'failed', error: 'x', retryInMs: LONG });
      const pruned = await s.storage.prune(at(7 * DAY));
      assert.ok(pruned.entries >= 1, `pruned ${pruned.entries} entries`);
      assert.deepEqual((await s.storage.listEntries({ provider: p })).map((e) => e.id), [failedOld.id, edge.id]);
      assert.equal((await s.storage.getTokenState(p, 't'))?.state, 'ACTIVE');
      taken(await s.storage.admit(old, run('again')));
    });
  },
};

/** `prune`: `done` entries received before the cutoff go; newer ones, unfinished ones and token states stay. */
export const retentionConformance: ConformanceGroup = conformanceGroup(RETENTION);
