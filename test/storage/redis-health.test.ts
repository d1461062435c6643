import assert from 'node:assert/strict';
import Redis from 'ioredis';
import type { StorageError } from '../../lib';
import { RedisStorage } from '../../lib/storage/redis';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';
import { clusterUnavailable } from './redis-cluster';
import type { LocalRedis } from './redis-server';
import { startRedis } from './redis-server';

/**
 * Redis out of memory: `maxmemory` set below what it holds (1 byte), so that it refuses every write (OOM) until the
 * limit is lifted. Filling memory to just over a limit instead left the outcome to Redis's own allocations (client
 * buffers, the size of the scripts it caches): some runs found memory free again.
 */
const outOfMemory = (client: Redis) => client.config('SET', 'maxmemory', '1');
const memoryFreed = (client: Redis) => client.config('SET', 'maxmemory', '0');

describe('health() with Redis out of memory (maxmemory-policy noeviction)', function () {
  this.timeout(30_000);
  let server: LocalRedis | undefined;
  before(async function () {
    const why = clusterUnavailable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(`these tests must run under CI=true: ${why}`);
      // eslint-disable-next-line no-console
      console.warn(`      skipping: ${why}`);
      this.skip();
    }
    server = await startRedis(['--maxmemory-policy', 'noeviction']);
  });
  after(async function () {
    await server?.stop();
  });

  it('deliveries are refused and health() is not ok while memory is full; both recover once it is freed', async function () {
    const { app, webhooks, recorder } = testReceiver({ storage: new RedisStorage({ url: server!.url }) });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });
    const client = new Redis(server!.url);
    try {
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'before-full' }))).status, 200);
      assert.equal((await webhooks.health()).ok, true);

      await outOfMemory(client);
      await assert.rejects(client.set('probe', 'x'), /^ReplyError: OOM /);
      for (let i = 0; i < 3; i++) assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: `while-full-${i}` }))).status, 503);
      assert.equal(recorder.count('event'), 1);
      assert.equal(reported.length, 3);
      assert.match(String((reported[0] as StorageError).cause), /OOM/);
      const sick = await webhooks.health();
      assert.equal(sick.ok, false);
      assert.match(sick.storage.error!, /OOM/);

      await memoryFreed(client);
      // Memory is free, but nothing was recorded since the failures: not ok until a delivery is (or 30 s pass).
      const waiting = await webhooks.health();
      assert.equal(waiting.ok, false);
      assert.equal(waiting.storage.error, undefined); // the probe passes
      assert.deepEqual({ ...waiting.storage.recentFailure, at: undefined }, {
        code: 'ERR_NTW_STORAGE_UNAVAILABLE', operation: 'admit', at: undefined, error: (reported.at(-1) as Error).message,
      });
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'while-full-0' }))).status, 200);
      assert.equal(recorder.count('event'), 2);
      const healthy = await webhooks.health();
      assert.equal(healthy.ok, true, healthy.storage.error);
    } finally {
      client.disconnect();
      await webhooks.close();
    }
  });
});
