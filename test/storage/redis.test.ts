import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { ConfigurationError } from '../../lib';
import { RedisStorage } from '../../lib/storage/redis';
import { runStorageConformance } from '../../lib/storage/kit';
import { REDIS_URL, deleteKeys, needsService, probeRedis, uniqueName } from './services';
import { countCommands } from './count-commands';

describe('RedisStorage', function () {
  const keyPrefix = `${uniqueName('ntw-test:')}:`;
  const service = needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);
  after(async function () {
    if (service.available) await deleteKeys(keyPrefix);
  });

  runStorageConformance('RedisStorage', () => new RedisStorage({ url: REDIS_URL, keyPrefix }), { describe, it, before, after }, { persistent: true });

  const record = (id: string, at: Date) => ({
    provider: 'a:b', id, type: 'token.active', tokenRef: 't:1', state: 'ACTIVE' as const, occurredAt: at, receivedAt: at, fingerprint: 'f', body: '{}',
  });

  it('keeps every key under its prefix (its schema version too), one hash tag per shard and per token, and prunes the indexes with the entries', async function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const storage = new RedisStorage({ url: REDIS_URL, keyPrefix: prefix });
    const probe = new Redis(REDIS_URL);
    try {
      await storage.init();
      const at = new Date(Date.UTC(2020, 0, 1));
      const entry = record('x y', at);
      await storage.admit(entry, { as: 'running', owner: 'o', leaseMs: 60_000 });
      await storage.settle(entry, 'o', { status: 'done' });
      assert.deepEqual((await probe.keys(`${prefix}*`)).sort(), [
        'schema', 'token-counts', '{s0}:byprovider:a%3Ab', '{s0}:counts', '{s0}:e:a%3Ab:x%20y', '{s0}:minute:1577836800000', '{s0}:recv', '{s0}:status:done',
        '{t:a%3Ab:t%3A1}', '{t:a%3Ab:t%3A1}:events',
      ].map((k) => prefix + k));
      assert.deepEqual(await storage.prune(new Date(Date.now() + 60_000)), { entries: 1 });
      assert.deepEqual((await probe.keys(`${prefix}*`)).sort(), ['schema', 'token-counts', '{t:a%3Ab:t%3A1}', '{t:a%3Ab:t%3A1}:events'].map((k) => prefix + k),
        'the counts of a pruned entry go with it');
      assert.deepEqual(await storage.listEntries({ provider: 'a:b', tokenRef: 't:1' }), [], 'a pruned entry left in a timeline is skipped');
    } finally {
      await storage.close();
      probe.disconnect();
      await deleteKeys(prefix);
    }
  });

  it('prunes more entries than one script batch, over several shards', async function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const storage = new RedisStorage({ url: REDIS_URL, keyPrefix: prefix, shards: 4 });
    try {
      await storage.init();
      const at = new Date(Date.UTC(2020, 0, 1));
      await Promise.all(Array.from({ length: 1200 }, async (_, i) => {
        await storage.admit(record(String(i), at), { as: 'running', owner: 'o', leaseMs: 60_000 });
        await storage.settle({ provider: 'a:b', id: String(i) }, 'o', { status: 'done' });
      }));
      assert.equal((await storage.listEntries({ limit: 2000 })).length, 1200);
      assert.deepEqual(await storage.prune(new Date(Date.UTC(2021, 0, 1))), { entries: 1200 });
      assert.deepEqual(await storage.listEntries(), []);
    } finally {
      await storage.close();
      await deleteKeys(prefix);
    }
  });

  it('leases a batch over every shard in one command, oldest due first, and settles a batch in one command', async function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const client = new Redis(REDIS_URL);
    const sent = countCommands(client);
    let from = 0;
    const storage = new RedisStorage({ client, keyPrefix: prefix, shards: 4 });
    try {
      await storage.init();
      // loads the scripts: nothing due, nothing to settle
      assert.deepEqual(await storage.leaseMany('w', 60_000, 10), []);
      assert.deepEqual(await storage.settleMany([{ key: { provider: 'a:b', id: 'missing' }, owner: 'w', settlement: { status: 'done' } }]), [false]);
      const ids = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
      for (const id of ids) {
        await storage.admit(record(id, new Date()), { as: 'pending' });
        await new Promise((resolve) => setTimeout(resolve, 2)); // each due a millisecond later than the one before, by any clock
      }
      const shardsUsed = new Set((await client.keys(`${prefix}{s*}:e:*`)).map((key) => key.slice(prefix.length, key.indexOf('}'))));
      assert.ok(shardsUsed.size > 1, `entries on ${[...shardsUsed].join(', ')}`);
      from = sent();
      assert.deepEqual(await storage.leaseMany('w', 60_000, 0), []);
      assert.equal(sent() - from, 0, 'none asked: no command');
      const batch = await storage.leaseMany('w', 60_000, 10);
      assert.equal(sent() - from, 1);
      assert.deepEqual(batch.map((e) => e.id), ids.slice(0, 10), 'the ten due first, in due order');
      assert.deepEqual(batch.map((e) => [e.status, e.attempts, e.projection]), [['running', 1, 'changed'], ...Array(9).fill(['running', 1, 'repeated'])]);
      from = sent();
      assert.deepEqual(await storage.settleMany(batch.map((e) => ({ key: e, owner: 'w', settlement: { status: 'done' } }))), Array(10).fill(true));
      assert.equal(sent() - from, 1);
      assert.deepEqual((await storage.leaseMany('w', 60_000, 10)).map((e) => e.id), ids.slice(10));
      assert.deepEqual(await storage.leaseMany('w', 60_000, 10), []);
    } finally {
      client.disconnect();
      await deleteKeys(prefix);
    }
  });

  it('uses an existing client and leaves it open on close()', async function () {
    const client = new Redis(REDIS_URL);
    try {
      const storage = new RedisStorage({ client, keyPrefix });
      await storage.init();
      await storage.close();
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('refuses a client with its own keyPrefix', function () {
    const client = new Redis(REDIS_URL, { lazyConnect: true, keyPrefix: 'x:' });
    assert.throws(() => new RedisStorage({ client }), (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
    client.disconnect();
  });

  it('gives the client it creates its deadlines (timeoutMs, default 4000), which redisOptions may override', async function () {
    const defaults = new RedisStorage({ url: REDIS_URL, keyPrefix });
    const custom = new RedisStorage({ url: REDIS_URL, keyPrefix, timeoutMs: 800, redisOptions: { connectTimeout: 2000 } });
    try {
      const options = (s: RedisStorage) => (s as unknown as { client: Redis }).client.options;
      assert.deepEqual(
        [options(defaults).commandTimeout, options(defaults).connectTimeout, options(defaults).keepAlive, options(defaults).enableOfflineQueue,
          options(defaults).autoResendUnfulfilledCommands, options(defaults).retryStrategy?.(50)],
        [4000, 4000, 10_000, false, false, 1000]);
      assert.deepEqual([options(custom).commandTimeout, options(custom).connectTimeout], [800, 2000]);
      await custom.init();
    } finally {
      await defaults.close();
      await custom.close();
    }
    assert.throws(() => new RedisStorage({ url: REDIS_URL, timeoutMs: 0 }), (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });
});
