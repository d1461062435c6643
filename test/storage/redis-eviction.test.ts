import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { ConfigurationError, StorageError } from '../../lib';
import { RedisStorage } from '../../lib/storage/redis';
import { evictionRisk } from '../../lib/storage/redis-eviction';
import { deliver, testReceiver } from '../helpers/app';
import { captureDebug } from '../helpers/debug-capture';
import { tokenexBody } from '../delivery/support';
import { clusterUnavailable } from './redis-cluster';
import type { LocalRedis } from './redis-server';
import { startRedis } from './redis-server';

/** Skip (or, under CI=true, fail) when redis-server cannot be started here. */
function needsRedisServer(): void {
  before(function () {
    const why = clusterUnavailable();
    if (!why) return;
    if (process.env.CI === 'true') throw new Error(`these tests must run under CI=true: ${why}`);
    // eslint-disable-next-line no-console
    console.warn(`      skipping: ${why}`);
    this.skip();
  });
}

const rejection = (promise: Promise<unknown>) => promise.then(() => assert.fail('expected a rejection'), (error: unknown) => error);

describe('RedisStorage refuses a maxmemory-policy that can evict the ledger', function () {
  this.timeout(30_000);
  needsRedisServer();

  it('only noeviction and the volatile-* policies are safe: the ledger keys carry no TTL', function () {
    for (const safe of ['noeviction', 'volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl']) assert.equal(evictionRisk(safe), false, safe);
    for (const evicting of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'some-future-policy']) assert.equal(evictionRisk(evicting), true, evicting);
  });

  describe('allkeys-lru with a small maxmemory', function () {
    let server: LocalRedis | undefined;
    before(async function () {
      server = await startRedis(['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '2mb']);
    });
    after(async function () {
      await server?.stop();
    });

    it('ready() rejects with ERR_NTW_REDIS_EVICTION naming the server, the policy and the fix', async function () {
      const { webhooks } = testReceiver({ storage: new RedisStorage({ url: server!.url }) });
      try {
        const error = await rejection(webhooks.ready());
        assert.ok(error instanceof ConfigurationError, String(error));
        assert.equal(error.code, 'ERR_NTW_REDIS_EVICTION');
        assert.match(error.message, new RegExp(`Redis at 127\\.0\\.0\\.1:${server!.port}`));
        assert.match(error.message, /allkeys-lru/);
        assert.match(error.message, /noeviction/);
        assert.match(error.message, /allowEviction/);
      } finally {
        await webhooks.close();
      }
    });

    it('a delivery before ready() is answered retry-later and reported, never acknowledged; nothing is written', async function () {
      const { app, webhooks, recorder } = testReceiver({ storage: new RedisStorage({ url: server!.url, keyPrefix: 'refused:' }) });
      const reported: unknown[] = [];
      webhooks.onError((error) => { reported.push(error); });
      try {
        const answer = await deliver(app, 'tokenex', tokenexBody({ id: 'before-ready' }));
        assert.equal(answer.status, 503);
        assert.equal(recorder.count(), 0);
        assert.equal(reported.length, 1);
        const error = reported[0] as StorageError;
        assert.ok(error instanceof StorageError);
        assert.equal(error.operation, 'init');
        assert.equal((error.cause as ConfigurationError).code, 'ERR_NTW_REDIS_EVICTION');
        assert.equal(server!.cli('--scan', '--pattern', 'refused:*'), '');
        const health = await webhooks.health();
        assert.equal(health.ok, false);
        assert.match(health.storage.error!, /ERR_NTW_REDIS_EVICTION/);
      } finally {
        await webhooks.close();
      }
    });

    it('with allowEviction: true it starts and delivers, and health() accepts the policy', async function () {
      const { app, webhooks, recorder } = testReceiver({ storage: new RedisStorage({ url: server!.url, keyPrefix: 'allowed:', allowEviction: true }) });
      try {
        await webhooks.ready();
        assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'allowed-1' }))).status, 200);
        assert.equal(recorder.count('event'), 1);
        assert.equal((await webhooks.health()).ok, true);
      } finally {
        await webhooks.close();
      }
    });

    it('the opt-out must be a boolean', function () {
      assert.throws(() => new RedisStorage({ url: server!.url, allowEviction: 'yes' as unknown as boolean }), { code: 'ERR_NTW_OPTION' });
    });
  });

  describe('a server whose policy is changed while the receiver runs', function () {
    let server: LocalRedis | undefined;
    before(async function () {
      server = await startRedis(['--maxmemory-policy', 'noeviction', '--maxmemory', '64mb']);
    });
    after(async function () {
      await server?.stop();
    });

    it('health() is not ok while the policy can evict, and ok again once it cannot', async function () {
      const { app, webhooks } = testReceiver({ storage: new RedisStorage({ url: server!.url }) });
      try {
        await webhooks.ready();
        assert.equal((await webhooks.health()).ok, true);
        assert.equal(server!.cli('config', 'set', 'maxmemory-policy', 'allkeys-lfu'), 'OK');
        const sick = await webhooks.health();
        assert.equal(sick.ok, false);
        assert.match(sick.storage.error!, /allkeys-lfu/);
        assert.match(sick.storage.error!, /ERR_NTW_REDIS_EVICTION/);
        assert.equal(server!.cli('config', 'set', 'maxmemory-policy', 'volatile-lru'), 'OK');
        assert.equal((await webhooks.health()).ok, true);
        assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'after-change' }))).status, 200);
      } finally {
        server!.cli('config', 'set', 'maxmemory-policy', 'noeviction');
        await webhooks.close();
      }
    });
  });

  describe('a server that answers no CONFIG (managed services)', function () {
    let server: LocalRedis | undefined;
    before(async function () {
      server = await startRedis(['--maxmemory-policy', 'allkeys-random', '--maxmemory', '64mb', '--rename-command', 'CONFIG', '']);
    });
    after(async function () {
      await server?.stop();
    });

    it('reads the policy from INFO memory and refuses it, at ready() and in health()', async function () {
      const storage = new RedisStorage({ url: server!.url });
      const { webhooks } = testReceiver({ storage });
      try {
        const error = await rejection(webhooks.ready()) as ConfigurationError;
        assert.equal(error.code, 'ERR_NTW_REDIS_EVICTION');
        assert.match(error.message, /allkeys-random/);
        assert.equal((await webhooks.health()).ok, false);
      } finally {
        await webhooks.close();
      }
    });
  });

  describe('a server that answers neither CONFIG nor INFO', function () {
    let server: LocalRedis | undefined;
    before(async function () {
      server = await startRedis(['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '64mb', '--rename-command', 'CONFIG', '', '--rename-command', 'INFO', '']);
    });
    after(async function () {
      await server?.stop();
    });

    it('starts (it cannot tell), says so under DEBUG, and delivers', async function () {
      const capture = captureDebug();
      // ioredis's ready check sends INFO: off, as INFO is disabled here.
      const { app, webhooks } = testReceiver({ storage: new RedisStorage({ url: server!.url, redisOptions: { enableReadyCheck: false } }) });
      try {
        await webhooks.ready();
        assert.ok(capture.lines.some((line) => /maxmemory-policy/.test(line) && /not checked/.test(line)), capture.lines.join('\n'));
        assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'unknown-policy' }))).status, 200);
        assert.equal((await webhooks.health()).ok, true);
      } finally {
        capture.restore();
        await webhooks.close();
      }
    });
  });

  describe('an ioredis client given by the host', function () {
    let server: LocalRedis | undefined;
    before(async function () {
      server = await startRedis(['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '64mb']);
    });
    after(async function () {
      await server?.stop();
    });

    it('is checked the same way', async function () {
      const client = new Redis(server!.url);
      try {
        const storage = new RedisStorage({ client });
        const error = await rejection(Promise.resolve(storage.init())) as ConfigurationError;
        assert.equal(error.code, 'ERR_NTW_REDIS_EVICTION');
        await new RedisStorage({ client, allowEviction: true }).init();
      } finally {
        client.disconnect();
      }
    });
  });
});
