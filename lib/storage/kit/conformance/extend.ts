import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, record, keyOf, run, taken, pause, until } from './fixtures';

export const EXTEND: GroupSpec = {
  title: 'extend',
  register(s) {
    s.test('keeps a short lease alive past its first end, for its owner only', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a', 500)));
      assert.equal(await s.storage.extend(keyOf(r), 'b', LONG), false);
      assert.equal(await s.storage.extend(keyOf(r), 'a', LONG), true);
      await pause(600);
      assert.equal((await s.storage.admit(r, run('b'))).admitted, false);
    });

    s.test('answers false once the lease expired, or the entry settled, and revives nothing', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a', 50)));
      await until(async () => !(await s.storage.extend(keyOf(r), 'nobody', 1)) && (await s.storage.lease('probe', LONG, keyOf(r))) !== undefined,
        s.expiryWaitMs, 'lease expiry');
      assert.equal(await s.storage.extend(keyOf(r), 'a', LONG), false);
      await s.storage.settle(keyOf(r), 'probe', { status: 'done' });
      assert.equal(await s.storage.extend(keyOf(r), 'probe', LONG), false);
      assert.equal((await s.storage.getEntry(keyOf(r)))?.status, 'done');
    });
  },
};

/** `extend`: a lease renewed past its first end, by its owner only; `false` once it expired or the entry settled, reviving nothing. */
export const extendConformance: ConformanceGroup = conformanceGroup(EXTEND);
