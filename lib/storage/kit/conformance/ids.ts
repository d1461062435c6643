import assert from 'node:assert/strict';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { TRICKY_IDS, fuzzedIds, provider, record, run, taken } from './fixtures';

export const IDS: GroupSpec = {
  title: 'ids',
  register(s) {
    s.test('stores exactly the id and token it was given: distinct ones stay distinct, equal ones collide', async () => {
      const p = provider();
      const ids = [...new Set([...TRICKY_IDS, ...fuzzedIds(120)])];
      for (const id of ids) taken(await s.storage.admit(record({ provider: p, id, tokenRef: id }), run('o')));
      for (const id of ids) {
        const again = await s.storage.admit(record({ provider: p, id, tokenRef: id }), run('o2'));
        assert.equal(again.admitted, false, `${JSON.stringify(id)} collides with itself`);
        assert.equal((await s.storage.getEntry({ provider: p, id }))?.tokenRef, id);
      }
      const listed = await s.storage.listEntries({ provider: p, limit: 1000 });
      assert.equal(listed.length, ids.length);
      assert.deepEqual(new Set(listed.map((e) => e.id)), new Set(ids));
      for (const token of [ids[11]!, ids[30]!]) {
        assert.deepEqual((await s.storage.listEntries({ provider: p, tokenRef: token })).map((e) => e.id), [token]);
      }
    });
  },
};

/** Ids and token references with quotes, `%`, `*`, `{}`, `:`, `\`, `|`, CR/LF, emoji, combining marks and 512
 * characters stay distinct, collide with themselves and round-trip. */
export const idsConformance: ConformanceGroup = conformanceGroup(IDS);
