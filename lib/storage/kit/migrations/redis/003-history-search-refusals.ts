import type { RedisLayout } from '../../../redis-layout';
import { INDEX_BY_PROVIDER, runScript } from '../../../redis-scripts';
import type { RedisMigration } from './step';

/** Entries indexed per script call: a few milliseconds of the server's time each. */
const BATCH = 5000;

/**
 * Step 3: an index of each provider's entries by receipt in every shard (`{s<n>}:byprovider:<provider>`), for the
 * console's filter by provider, filled from the shard's receipt index (a member starts with its encoded provider) by a
 * script, a batch at a time. Entries keep their history in two fields of their hash (`attemptLog`, `copyLog`), absent on
 * the entries already stored, and the refusals of the fleet get a hash per minute (`refusals:<minute>`): nothing to
 * create for either.
 */
async function apply(layout: RedisLayout): Promise<void> {
  for (let shard = 0; shard < layout.shards; shard++) {
    for (let start = 0; ; start += BATCH) {
      const read = Number(await runScript(layout.client, INDEX_BY_PROVIDER, [layout.shardKey(shard, 'recv')], [layout.shardKey(shard, ''), start, BATCH]));
      if (read < BATCH) break;
    }
  }
}

export const historySearchRefusals: RedisMigration = { version: 3, name: 'history, search, refusals', apply };
