import { randomUUID } from 'node:crypto';
import type { RedisLayout } from '../../../redis-layout';
import { latestVersion, pendingSteps } from '../steps';
import type { RedisMigration } from './step';
import { WAIT_MS, pause, redisNow } from './waiting';
import { ledger } from './001-ledger';
import { carryForward01 } from './002-carry-forward';
import { historySearchRefusals } from './003-history-search-refusals';

export type { RedisMigration } from './step';

/** How long a migration may hold the lock before another instance may take it over (it was killed meanwhile). */
const LOCK_MS = 300_000;

/** Redis's steps, in order. */
export const REDIS_MIGRATIONS: readonly RedisMigration[] = [ledger, carryForward01, historySearchRefusals];

/** The schema version this release writes and reads: `version` of the hash `<prefix>schema`. */
export const REDIS_SCHEMA_VERSION = latestVersion(REDIS_MIGRATIONS);

/**
 * Bring the data under this prefix to this version: the steps it lacks, applied by one instance at a time (a lock
 * key; the others wait for it), each recorded in `<prefix>schema`. Refuses data a newer version wrote.
 */
export async function migrateRedis(layout: RedisLayout): Promise<void> {
  const { client } = layout;
  const versionKey = `${layout.keyPrefix}schema`;
  const lockKey = `${layout.keyPrefix}schema:lock`;
  const version = async () => Number(await client.hget(versionKey, 'version') ?? 0);
  const token = randomUUID();
  for (const waitUntil = Date.now() + WAIT_MS; ;) {
    if (pendingSteps(REDIS_MIGRATIONS, await version(), layout.where).length === 0) return;
    if (await client.set(lockKey, token, 'PX', LOCK_MS, 'NX')) break;
    if (Date.now() > waitUntil) throw new Error(`another instance has been migrating ${layout.where} for over ${WAIT_MS} ms (lock ${lockKey})`);
    await pause(200);
  }
  try {
    for (const step of pendingSteps(REDIS_MIGRATIONS, await version(), layout.where)) {
      await step.apply(layout);
      await client.hset(versionKey, 'version', step.version, `step:${step.version}`, `${step.name} at ${new Date(await redisNow(client)).toISOString()}`);
    }
  } finally {
    if (await client.get(lockKey) === token) await client.del(lockKey);
  }
}
