import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { record, keyOf, run, taken } from './fixtures';

export const PROBE: GroupSpec = {
  title: 'probe',
  register(s) {
    s.test('health() can ask it: its probe passes on a healthy store and leaves it as it was (without one, the read it makes instead answers)', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      const before = await s.storage.getEntry(keyOf(r));
      const probe = s.storage.probe?.bind(s.storage) ?? (async () => { assert.equal(await s.storage.getTokenState('health', 'health'), undefined); });
      for (let i = 0; i < 3; i++) await probe();
      assert.deepEqual(await s.storage.getEntry(keyOf(r)), before);
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'done' }), true);
      taken(await s.storage.admit(record(), run('b')));
    });
  },
};

/** `probe` (or, without one, the read `health()` makes instead): passes on a healthy store and leaves it as it was. */
export const probeConformance: ConformanceGroup = conformanceGroup(PROBE);
