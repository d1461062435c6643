/**
 * The stores the "ours" rows run on: whether PostgreSQL and Redis answer, and a fresh, empty place in each
 * (a temp SQLite file, a unique PostgreSQL schema, a unique Redis key prefix) that is removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { settings } from './config';

export type StoreKind = 'memory' | 'sqlite' | 'postgres' | 'redis';

export interface Store {
  readonly kind: StoreKind;
  /** Environment for the server under test (bench/servers/ours.ts). */
  readonly env: Record<string, string>;
  /** Remove what the store holds (file, schema, keys). */
  cleanup(): Promise<void>;
}

/** Why a service cannot be used, or `undefined` when it answers. Checked once per run. */
export async function unreachable(kind: StoreKind): Promise<string | undefined> {
  let cause: Error | undefined;
  try {
    if (kind === 'postgres') {
      const client = pgClient();
      await client.connect();
      try {
        await client.query('SELECT 1');
      } finally {
        await client.end();
      }
    } else if (kind === 'redis') {
      const client = redisClient();
      client.on('error', (error: Error) => { cause ??= error; });
      try {
        await client.connect();
        await client.ping();
      } finally {
        client.disconnect();
      }
    }
    return undefined;
  } catch (error) {
    const where = kind === 'postgres' ? settings.databaseUrl : settings.redisUrl;
    return `${kind === 'postgres' ? 'PostgreSQL' : 'Redis'} unreachable at ${redactUrl(where)} (${(cause ?? (error as Error)).message})`;
  }
}

export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

export const pgClient = () => new Client({ connectionString: settings.databaseUrl, connectionTimeoutMillis: 3000 });

export const redisClient = () => new Redis(settings.redisUrl, {
  lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null,
});

const unique = () => randomBytes(5).toString('hex');

/** A new, empty store of `kind`. */
export async function freshStore(kind: StoreKind): Promise<Store> {
  switch (kind) {
    case 'memory':
      return { kind, env: { BENCH_STORAGE: 'memory' }, cleanup: async () => undefined };
    case 'sqlite': {
      const dir = mkdtempSync(join(tmpdir(), 'ntw-bench-'));
      return {
        kind, env: { BENCH_STORAGE: 'sqlite', SQLITE_PATH: join(dir, 'bench.db') },
        cleanup: async () => rmSync(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const schema = `ntw_bench_${unique()}`;
      return {
        kind, env: { BENCH_STORAGE: 'postgres', DATABASE_URL: settings.databaseUrl, DATABASE_SCHEMA: schema },
        cleanup: () => dropSchema(schema),
      };
    }
    case 'redis': {
      const prefix = `ntw-bench:${unique()}:`;
      return {
        kind, env: { BENCH_STORAGE: 'redis', REDIS_URL: settings.redisUrl, REDIS_KEY_PREFIX: prefix },
        cleanup: async () => { await deletePrefix(prefix); },
      };
    }
  }
}

export async function dropSchema(schema: string): Promise<void> {
  if (!/^ntw_bench_[0-9a-f]+$/.test(schema)) throw new Error(`refusing to drop schema ${schema}`);
  const client = pgClient();
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Every key under `prefix`, by SCAN and UNLINK in batches (bounded: stops after 10 minutes). */
export async function deletePrefix(prefix: string): Promise<number> {
  if (!/^ntw-bench:[0-9a-f]+:$/.test(prefix)) throw new Error(`refusing to delete keys under ${prefix}`);
  const client = redisClient();
  await client.connect();
  const deadline = Date.now() + 600_000;
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length) deleted += await client.unlink(...keys);
    } while (cursor !== '0' && Date.now() < deadline);
  } finally {
    client.disconnect();
  }
  return deleted;
}
