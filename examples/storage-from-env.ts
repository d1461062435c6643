import { resolve } from 'node:path';
import { ConfigurationError, MemoryStorage } from '../lib';
import type { Storage } from '../lib';
import { SqliteStorage } from '../lib/storage/sqlite';
import { PostgresStorage } from '../lib/storage/postgres';
import { RedisStorage } from '../lib/storage/redis';

/** A connection URL without its password, for the start-up line. */
function safe(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function required(name: string, storage: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError('ERR_NTW_OPTION', `STORAGE=${storage} needs ${name}`);
  return value;
}

/**
 * The demo's storage, chosen by `STORAGE`:
 * - `sqlite` (default): the file `SQLITE_PATH` (default `./data/network-token-webhooks.db`), kept across restarts;
 * - `postgres`: `DATABASE_URL`, optional `DATABASE_SCHEMA` (default `public`);
 * - `redis`: `REDIS_URL`, optional `REDIS_KEY_PREFIX` (default `ntw:`);
 * - `memory`: nothing survives a restart.
 */
export function storageFromEnv(env: NodeJS.ProcessEnv = process.env): { storage: Storage; description: string } {
  const kind = (env.STORAGE ?? 'sqlite').toLowerCase();
  switch (kind) {
    case 'sqlite': {
      const path = resolve(env.SQLITE_PATH ?? './data/network-token-webhooks.db');
      return { storage: new SqliteStorage(path), description: `SQLite storage in ${path}` };
    }
    case 'postgres':
    case 'postgresql': {
      const url = required('DATABASE_URL', kind);
      const schema = env.DATABASE_SCHEMA ?? 'public';
      return { storage: new PostgresStorage({ connectionString: url, schema }), description: `PostgreSQL storage at ${safe(url)} (schema ${schema})` };
    }
    case 'redis': {
      const url = required('REDIS_URL', kind);
      const keyPrefix = env.REDIS_KEY_PREFIX ?? 'ntw:';
      return { storage: new RedisStorage({ url, keyPrefix }), description: `Redis storage at ${safe(url)} (keys ${keyPrefix}*)` };
    }
    case 'memory':
      return { storage: new MemoryStorage(), description: 'in-memory storage (nothing survives a restart)' };
    default:
      throw new ConfigurationError('ERR_NTW_OPTION', `STORAGE must be sqlite, postgres, redis or memory, not "${kind}"`);
  }
}
