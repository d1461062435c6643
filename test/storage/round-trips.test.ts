import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import Redis from 'ioredis';
import { MemoryStorage } from '../../lib';
import type { InboxTokenWebhooks, Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';
import { countCommands } from './count-commands';

/** A storage and a counter of what crossed to the database: queries, commands, or (in-process stores) calls. */
interface Counted {
  readonly storage: Storage;
  count(): number;
  close(): Promise<void>;
  /** Whether a lease that finds nothing due is counted (on the wire it is a round trip; in process it is left out). */
  readonly countsIdleLeases: boolean;
}

const STORAGE_METHODS = new Set(['admit', 'lease', 'leaseMany', 'extend', 'settle', 'settleMany', 'requeue', 'getEntry', 'listEntries', 'getTokenState', 'prune']);

/** A lease's answer of nothing due: how often the worker looks again once it has run what was due depends on timing. */
const foundNothing = (result: unknown) => result === undefined || (Array.isArray(result) && result.length === 0);

/** Every method call of an in-process store is one transaction: count calls, but for leases that found nothing. */
function countedCalls(storage: Storage): Counted {
  let calls = 0;
  const proxy = new Proxy(storage, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!STORAGE_METHODS.has(String(property))) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!String(property).startsWith('lease')) calls++;
        else if (result instanceof Promise) void result.then((found) => { if (!foundNothing(found)) calls++; }, () => undefined);
        else if (!foundNothing(result)) calls++;
        return result;
      };
    },
  });
  return { storage: proxy, count: () => calls, countsIdleLeases: false, close: async () => { await storage.close?.(); } };
}

function countedPostgres(schema: string): Counted {
  const pool = new Pool({ connectionString: DATABASE_URL });
  let queries = 0;
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: unknown }).query = (...args: unknown[]) => { queries++; return query(...args); };
  const storage = new PostgresStorage({ pool, schema });
  return { storage, count: () => queries, countsIdleLeases: true, close: async () => { await pool.end(); await dropSchema(schema); } };
}

function countedRedis(prefix: string): Counted {
  const client = new Redis(REDIS_URL);
  const count = countCommands(client);
  const storage = new RedisStorage({ client, keyPrefix: prefix });
  return { storage, count, countsIdleLeases: true, close: async () => { client.disconnect(); await deleteKeys(prefix); } };
}

/** The round trips of one delivery: new, then a duplicate the cache knows, then one it does not. */
async function measure(counted: Counted, mode: 'sync' | 'inbox') {
  // One entry at a time, so the worker looks for a next one exactly once after running it.
  const { app, webhooks } = testReceiver({ storage: counted.storage, mode, cacheMax: 1, inbox: { pollIntervalMs: false, concurrency: 1 } });
  await webhooks.ready();
  const warm = tokenexBody({ id: uniqueName('warm-') }); // loads scripts, opens connections
  assert.equal((await deliver(app, 'tokenex', warm)).status, 200);
  if (mode === 'inbox') await (webhooks as InboxTokenWebhooks).processInbox();
  const body = tokenexBody({ id: uniqueName('evt-'), tokenRef: uniqueName('tok-') });
  const before = counted.count();
  assert.equal((await deliver(app, 'tokenex', body)).status, 200);
  const received = counted.count() - before;
  let ran = 0;
  if (mode === 'inbox') {
    const start = counted.count();
    assert.equal(await (webhooks as InboxTokenWebhooks).processInbox(), 1);
    ran = counted.count() - start - (counted.countsIdleLeases ? 1 : 0); // less the lease that then finds nothing more to run
  }
  const cached = counted.count();
  assert.equal((await deliver(app, 'tokenex', body)).body.duplicate, true);
  const fromCache = counted.count() - cached;
  assert.equal((await deliver(app, 'tokenex', warm)).body.duplicate, true); // evicts body from the one-entry cache
  const stored = counted.count();
  assert.equal((await deliver(app, 'tokenex', body)).body.duplicate, true);
  const fromStorage = counted.count() - stored;
  await webhooks.close();
  return { received, ran, fromCache, fromStorage };
}

function roundTrips(name: string, open: () => Counted, expected: { sync: number; inbox: [number, number] }): void {
  for (const mode of ['sync', 'inbox'] as const) {
    it(`${name}, ${mode} mode: ${mode === 'sync' ? expected.sync : expected.inbox.join(' + ')} round trips for a new event, 1 for a stored duplicate, 0 for a cached one`, async function () {
      const counted = open();
      try {
        const figures = await measure(counted, mode);
        if (mode === 'sync') assert.deepEqual(figures, { received: expected.sync, ran: 0, fromCache: 0, fromStorage: 1 });
        else assert.deepEqual(figures, { received: expected.inbox[0], ran: expected.inbox[1], fromCache: 0, fromStorage: 1 });
      } finally {
        await counted.close();
      }
    });
  }
}

describe('storage round trips per delivery', function () {
  // admit (take, record, apply the state) + settle; inbox: admit at receipt, lease (applying the state) + settle in the worker.
  describe('in-process stores (calls)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-trips-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    roundTrips('MemoryStorage', () => countedCalls(new MemoryStorage()), { sync: 2, inbox: [1, 2] });
    let n = 0;
    roundTrips('SqliteStorage', () => countedCalls(new SqliteStorage(join(dir, `trips-${n++}.db`))), { sync: 2, inbox: [1, 2] });
  });
  describe('PostgreSQL (queries on the wire)', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    roundTrips('PostgresStorage', () => countedPostgres(uniqueName('ntw_trips_')), { sync: 2, inbox: [1, 2] });
  });
  describe('Redis (commands on the wire)', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    roundTrips('RedisStorage', () => countedRedis(`${uniqueName('ntw-trips:')}:`), { sync: 2, inbox: [1, 2] });
  });
});
