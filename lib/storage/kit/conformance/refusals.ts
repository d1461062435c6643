import assert from 'node:assert/strict';
import type { RefusalMinute } from '../../storage';
import { REFUSALS_KEPT_MS } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { MINUTE, provider } from './fixtures';

export const REFUSALS: GroupSpec = {
  title: 'refusals',
  register(s) {
    const needsRefusals = () => { if (!s.storage.addRefusals || !s.storage.listRefusals) s.skip('the store has no addRefusals() and listRefusals()'); };
    const sorted = (rows: readonly RefusalMinute[]) => rows.map((r) => JSON.stringify(r)).sort();
    /** A minute that starts shortly before now (the store forgets minutes by its own clock). */
    const recent = (minutesAgo: number) => {
      const now = Date.now();
      return new Date(now - (now % MINUTE) - minutesAgo * MINUTE);
    };

    s.test('adds the counts of instances by minute, provider, status and code, keeping the latest time', async () => {
      needsRefusals();
      const p = provider();
      const m = recent(3);
      const at = (ms: number) => new Date(m.getTime() + ms);
      await s.storage.addRefusals!([
        { minute: m, provider: p, status: 401, code: 'unauthorized', count: 2, last: at(5000) },
        { minute: m, provider: p, status: 400, code: 'schema_violation', count: 1, last: at(1000) },
      ]);
      await s.storage.addRefusals!([
        { minute: m, provider: p, status: 401, code: 'unauthorized', count: 3, last: at(2000) },
        { minute: recent(1), provider: p, status: 401, code: 'unauthorized', count: 1, last: recent(1) },
      ]);
      const mine = (await s.storage.listRefusals!(recent(10))).filter((r) => r.provider === p);
      assert.deepEqual(sorted(mine), sorted([
        { minute: m, provider: p, status: 401, code: 'unauthorized', count: 5, last: at(5000) },
        { minute: m, provider: p, status: 400, code: 'schema_violation', count: 1, last: at(1000) },
        { minute: recent(1), provider: p, status: 401, code: 'unauthorized', count: 1, last: recent(1) },
      ]));
      const since = (await s.storage.listRefusals!(new Date(recent(1).getTime() + 30_000))).filter((r) => r.provider === p);
      assert.deepEqual(since.map((r) => r.count), [1], 'from the minute holding `since` on');
    });

    s.test(`keeps ${REFUSALS_KEPT_MS / 3_600_000} hours of minutes`, async () => {
      needsRefusals();
      const p = provider();
      const old = recent(REFUSALS_KEPT_MS / MINUTE + 5);
      await s.storage.addRefusals!([{ minute: old, provider: p, status: 415, code: 'unsupported_media_type', count: 1, last: old }]);
      await s.storage.addRefusals!([{ minute: recent(0), provider: p, status: 415, code: 'unsupported_media_type', count: 1, last: recent(0) }]);
      const mine = (await s.storage.listRefusals!(new Date(old.getTime() - MINUTE))).filter((r) => r.provider === p);
      assert.deepEqual(mine.map((r) => r.minute.getTime()), [recent(0).getTime()]);
    });
  },
};

/** `addRefusals` and `listRefusals`, for a store that has them (skipped without): the fleet's refused deliveries, added
 * by minute, provider, status and code, for `REFUSALS_KEPT_MS`. */
export const refusalsConformance: ConformanceGroup = conformanceGroup(REFUSALS);
