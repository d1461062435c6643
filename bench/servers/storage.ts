/**
 * The storage adapter a benchmark store describes (bench/services.ts `Store.env`), at its defaults:
 *   BENCH_STORAGE  memory | sqlite (SQLITE_PATH) | postgres (DATABASE_URL, DATABASE_SCHEMA) | redis (REDIS_URL, REDIS_KEY_PREFIX)
 * Drivers are loaded only for the adapter asked for; the adapters come from the build (bench/library.ts).
 */
import type { Storage } from '../../lib';
import { library } from '../library';

export function storageFrom(env: Record<string, string | undefined>): Storage {
  switch (env.BENCH_STORAGE ?? 'memory') {
    case 'memory':
      return new (library<typeof import('../../lib')>('index').MemoryStorage)();
    case 'sqlite': {
      const { SqliteStorage } = library<typeof import('../../lib/storage/sqlite')>('storage/sqlite');
      return new SqliteStorage(env.SQLITE_PATH!);
    }
    case 'postgres': {
      const { PostgresStorage } = library<typeof import('../../lib/storage/postgres')>('storage/postgres');
      return new PostgresStorage({ connectionString: env.DATABASE_URL, schema: env.DATABASE_SCHEMA, ...(env.POOL_MAX ? { poolConfig: { max: Number(env.POOL_MAX) } } : {}) });
    }
    case 'redis': {
      const { RedisStorage } = library<typeof import('../../lib/storage/redis')>('storage/redis');
      return new RedisStorage({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX });
    }
    default:
      throw new Error(`unknown BENCH_STORAGE ${env.BENCH_STORAGE}`);
  }
}
