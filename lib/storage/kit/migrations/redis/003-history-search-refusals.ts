import type { RedisLayout } from '../../../redis-layout';
import type { RedisMigration } from './step';

const BATCH = 1000;

/**
 * Step 3: an index of each provider's entries by receipt in every shard (`{s<n>}:byprovider:<provider>`), for the
 * console's filter by provider, filled from the shard's receipt index (a member starts with its encoded provider), a
 * batch at a time. Entries keep their history in two fields of their hash (`attemptLog`, `copyLog`), absent on the entries
 * already stored, and the refusals of the fleet get a hash per minute (`refusals:<minute>`): nothing to create for either.
 */
async function apply(layout: RedisLayout): Promise<void> {
  for (let shard = 0; shard < layout.shards; shard++) {
    const recv = layout.shardKey(shard, 'recv');
    for (let start = 0; ; start += BATCH) {
      const reply = await layout.client.zrange(recv, start, start + BATCH - 1, 'WITHSCORES');
      if (reply.length === 0) break;
      const pipeline = layout.client.pipeline();
      for (let i = 0; i < reply.length; i += 2) {
        const member = reply[i]!;
        pipeline.zadd(layout.shardKey(shard, `byprovider:${member.slice(0, member.indexOf(':'))}`), reply[i + 1]!, member);
      }
      for (const [error] of (await pipeline.exec()) ?? []) if (error) throw error;
      if (reply.length < BATCH * 2) break;
    }
  }
}

export const historySearchRefusals: RedisMigration = { version: 3, name: 'history, search, refusals', apply };
