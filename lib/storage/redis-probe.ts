import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { EvictionGuard } from './redis-eviction';

/** How long a probe key may outlive its probe, should the DEL after its SET never run. */
const PROBE_TTL_MS = 10_000;

export interface ProbeKeys {
  readonly shards: number;
  /** The probe key of a shard: in its hash slot, so on a cluster each shard's master is probed. */
  readonly key: (shard: number) => string;
  /** The server, for messages. */
  readonly where: () => string;
}

/** Each reply's error, thrown. */
function answers(replies: [Error | null, unknown][] | null): [Error | null, unknown][] {
  for (const [error] of replies ?? []) if (error) throw error;
  return replies ?? [];
}

const writeAndDiscard = (pipeline: ChainableCommander, key: string) => pipeline.set(key, '1', 'PX', PROBE_TTL_MS).del(key);

/**
 * Throws when Redis would refuse a delivery's write now, or may evict what it wrote: SET (refused out of memory
 * under `noeviction`, and by a replica) and DEL of a probe key, with the eviction policy's read, in one pipeline.
 * On a cluster, the same on every shard's master and every master's policy, in parallel.
 */
export async function probeRedis(client: Redis | Cluster, eviction: EvictionGuard, keys: ProbeKeys): Promise<void> {
  if ((client as { isCluster?: boolean }).isCluster === true) {
    await Promise.all([
      ...Array.from({ length: keys.shards }, async (_, shard) => { answers(await writeAndDiscard(client.pipeline(), keys.key(shard)).exec()); }),
      eviction.verifyCluster(client as Cluster),
    ]);
    return;
  }
  const pipeline = writeAndDiscard(client.pipeline(), keys.key(0));
  const policy = eviction.queue(pipeline);
  const replies = (await pipeline.exec()) ?? [];
  answers(replies.slice(0, 2));
  if (policy && replies[2]) eviction.verify(replies[2], keys.where());
}
