import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A name unique to this test run: a Postgres schema or a Redis key prefix. */
export const uniqueName = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

export async function probePostgres(url = DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function probeRedis(url = REDIS_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let cause: Error | undefined;
  client.on('error', (error: Error) => { cause ??= error; });
  try {
    await client.connect().catch((error: Error) => { throw cause ?? error; });
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/**
 * Register a `before` hook that checks a service answers. When it does not, the suite is skipped
 * with the reason, except under CI=true, where .ci/run started the services and a missing one fails.
 * Returns whether the service answered, for `after` hooks that clean up.
 */
export function needsService(name: string, probe: () => Promise<void>, hint: string): { readonly available: boolean } {
  const status = { available: false };
  before(async function () {
    try {
      await probe();
      status.available = true;
    } catch (error) {
      const why = `${name} is not reachable (${(error as Error).message || String(error)})`;
      if (process.env.CI === 'true') throw new Error(`${why}; under CI=true it must run (.ci/run starts it)`);
      // eslint-disable-next-line no-console
      console.warn(`      skipping the ${name} tests: ${why}. ${hint}`);
      this.skip();
    }
  });
  return status;
}

/** Run `sql` as the administrator of `url` (schemas, roles, settings a test makes and removes). */
export async function adminQuery(sql: string, url = DATABASE_URL): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drop a test schema. */
export const dropSchema = (schema: string, url = DATABASE_URL) => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, url);

/** Delete every key under a test prefix. */
export async function deleteKeys(prefix: string, url = REDIS_URL): Promise<number> {
  const client = new Redis(url);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}
