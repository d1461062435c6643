import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInboxConformance } from '../../lib/storage/inbox-conformance';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';

describe('inbox queue on PostgreSQL', function () {
  needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
  const schemas: string[] = [];
  after(async () => { for (const s of schemas) await dropSchema(s).catch(() => undefined); });
  runInboxConformance('PostgresStorage', () => {
    const schema = uniqueName('ntw_inbox_');
    schemas.push(schema);
    return new PostgresStorage({ connectionString: DATABASE_URL, schema, poolConfig: { max: 20 } });
  });
});

describe('inbox queue on Redis', function () {
  needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
  const prefixes: string[] = [];
  after(async () => { for (const p of prefixes) await deleteKeys(p).catch(() => undefined); });
  runInboxConformance('RedisStorage', () => {
    const prefix = uniqueName('ntw-inbox-test:');
    prefixes.push(prefix);
    return new RedisStorage({ url: REDIS_URL, keyPrefix: prefix });
  });
});

describe('inbox queue on SQLite', function () {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-inbox-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  runInboxConformance('SqliteStorage', () => new SqliteStorage(join(dir, `inbox-${n++}.db`)));
});
