import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup, openStorage } from './harness';
import { MINUTE, record, keyOf, run, taken } from './fixtures';

export const PERSISTENCE: GroupSpec = {
  title: 'persistence',
  register(s) {
    s.test('keeps entries and token states across close() and a new instance', async () => {
      const first = await openStorage(s.factory);
      const done = record({ state: 'DELETED', type: 'token.deleted' });
      const held = record();
      try {
        taken(await first.admit(done, run('a')));
        await first.settle(keyOf(done), 'a', { status: 'done' });
        taken(await first.admit(held, run('a', 10 * MINUTE)));
      } finally {
        await first.close?.();
      }
      const second = await openStorage(s.factory);
      try {
        assert.equal((await second.admit(done, run('b'))).entry.status, 'done');
        assert.equal((await second.admit(held, run('b'))).admitted, false);
        assert.equal((await second.getTokenState(done.provider, done.tokenRef))?.state, 'DELETED');
        assert.equal((await second.getEntry(keyOf(done)))?.body, done.body);
      } finally {
        await second.close?.();
      }
    });

    s.test('can be initialized twice on the same database', async () => {
      const again = await openStorage(s.factory);
      try {
        await again.init?.();
        taken(await again.admit(record(), run('a')));
      } finally {
        await again.close?.();
      }
    });
  },
};

/** Persistence: what one instance wrote, a new instance from `factory` reads after `close()`; `init()` runs twice on one
 * database. For a store that keeps its data: `runStorageConformance` runs it with `persistent: true`. */
export const persistenceConformance: ConformanceGroup = conformanceGroup(PERSISTENCE);
