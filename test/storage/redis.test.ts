import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { ConfigurationError } from '../../lib';
import { RedisStorage } from '../../lib/storage/redis';
import { runStorageConformance } from '../../lib/storage/conformance';
import { REDIS_URL, deleteKeys, needsService, probeRedis, uniqueName } from './services';

describe('RedisStorage', function () {
  const keyPrefix = `${uniqueName('ntw-test:')}:`;
  const service = needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);
  after(async function () {
    if (service.available) await deleteKeys(keyPrefix);
  });

  runStorageConformance('RedisStorage', () => new RedisStorage({ url: REDIS_URL, keyPrefix }), { persistent: true });

  it('keeps every key under its prefix and prunes the indexes with the events', async function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const storage = new RedisStorage({ url: REDIS_URL, keyPrefix: prefix });
    const probe = new Redis(REDIS_URL);
    try {
      await storage.init();
      const at = new Date(Date.UTC(2020, 0, 1));
      await storage.claim({ provider: 'a:b', id: 'x y' }, 'o', 60_000);
      await storage.complete({ provider: 'a:b', id: 'x y' }, 'o');
      await storage.saveEvent({ provider: 'a:b', id: 'x y', type: 'token.active', tokenRef: 't:1', state: 'ACTIVE', occurredAt: at, receivedAt: at, stale: false, payload: {} });
      await storage.applyTokenState({ provider: 'a:b', tokenRef: 't:1', state: 'ACTIVE', occurredAt: at, eventId: 'x y' });
      assert.deepEqual((await probe.keys(`${prefix}*`)).sort(), [
        'claim:a%3Ab:x%20y', 'claims:done', 'event:a%3Ab:x%20y', 'idx:all', 'idx:p:a%3Ab', 'idx:t:a%3Ab:t%3A1', 'state:a%3Ab:t%3A1',
      ].map((k) => prefix + k));
      assert.deepEqual(await storage.prune(new Date(Date.now() + 60_000)), { claims: 1, events: 1 });
      assert.deepEqual(await probe.keys(`${prefix}*`), [`${prefix}state:a%3Ab:t%3A1`]);
    } finally {
      await storage.close();
      probe.disconnect();
      await deleteKeys(prefix);
    }
  });

  it('prunes more entries than one script batch', async function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const storage = new RedisStorage({ url: REDIS_URL, keyPrefix: prefix });
    try {
      await storage.init();
      const at = new Date(Date.UTC(2020, 0, 1));
      await Promise.all(Array.from({ length: 1200 }, (_, i) => storage.saveEvent({
        provider: 'p', id: String(i), type: 'token.updated', tokenRef: 't', occurredAt: at, receivedAt: at, stale: false, payload: null,
      })));
      assert.deepEqual(await storage.prune(new Date(Date.UTC(2021, 0, 1))), { claims: 0, events: 1200 });
      assert.deepEqual(await storage.listEvents(), []);
    } finally {
      await storage.close();
      await deleteKeys(prefix);
    }
  });

  it('uses an existing client and leaves it open on close()', async function () {
    const client = new Redis(REDIS_URL);
    try {
      const storage = new RedisStorage(client);
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
});
