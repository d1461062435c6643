import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import Redis from 'ioredis';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryStorage } from '../../lib';
import type { Storage } from '../../lib';
import type { InboxStorage } from '../../lib/storage/inbox';
import { runInboxConformance } from '../../lib/storage/inbox-conformance';
import { PostgresInbox, postgresInboxDdl, postgresInboxTable } from '../../lib/storage/postgres-inbox';
import { RedisInbox } from '../../lib/storage/redis-inbox';
import { SQLITE_INBOX_SCHEMA, SqliteInbox } from '../../lib/storage/sqlite-inbox';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';

const INBOX_METHODS = ['enqueue', 'leaseNext', 'markDone', 'markFailed', 'markDead', 'getInboxEntry', 'listDeadLetters', 'requeue', 'pruneInbox'] as const;

/** A store whose queue methods are `inbox`'s (the queue is under test, the rest is memory). */
function withInbox(inbox: InboxStorage, init: () => Promise<void> | void, close: () => Promise<void> | void): Storage & InboxStorage {
  const store = new MemoryStorage() as unknown as Record<string, unknown>;
  for (const m of INBOX_METHODS) store[m] = (inbox[m] as (...a: unknown[]) => unknown).bind(inbox);
  store.init = init;
  store.close = close;
  return store as unknown as Storage & InboxStorage;
}

describe('inbox queue on PostgreSQL', function () {
  needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
  const schemas: string[] = [];
  after(async () => { for (const s of schemas) await dropSchema(s).catch(() => undefined); });
  runInboxConformance('PostgresInbox', () => {
    const schema = uniqueName('ntw_inbox_');
    schemas.push(schema);
    const pool = new Pool({ connectionString: DATABASE_URL, max: 20 });
    const table = postgresInboxTable(schema);
    return withInbox(new PostgresInbox(pool, table),
      async () => { await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"; ${postgresInboxDdl(table)}`); },
      () => pool.end());
  });
});

describe('inbox queue on Redis', function () {
  needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
  const prefixes: string[] = [];
  after(async () => { for (const p of prefixes) await deleteKeys(p).catch(() => undefined); });
  runInboxConformance('RedisInbox', () => {
    const prefix = uniqueName('ntw-inbox-test:');
    prefixes.push(prefix);
    const client = new Redis(REDIS_URL, { lazyConnect: true });
    return withInbox(new RedisInbox(client, prefix), async () => { await client.connect(); }, async () => { await client.quit(); });
  });
});

describe('inbox queue on SQLite', function () {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-inbox-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  runInboxConformance('SqliteInbox', () => {
    const db = new BetterSqlite3(join(dir, `inbox-${n++}.db`));
    db.exec(SQLITE_INBOX_SCHEMA);
    return withInbox(new SqliteInbox(() => db), () => undefined, () => { db.close(); });
  });
});
