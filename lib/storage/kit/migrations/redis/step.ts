import type { RedisLayout } from '../../../redis-layout';
import type { MigrationStep } from '../steps';

/** One step of the data under a RedisStorage's key prefix, run by the one instance that holds the migration lock. */
export type RedisMigration = MigrationStep<(layout: RedisLayout) => Promise<void>>;
