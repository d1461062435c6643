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
 * Write values of 10 kB, then 1 kB, then 100 bytes, each size until Redis refuses one (out of memory), on a
 * connection kept open (closing it would free its buffers, and memory with them). Answers the keys written.
 */
async function fillMemory(client: Redis): Promise<string[]> {
  const keys: string[] = [];
  for (const size of [10_000, 1000, 100]) {
    for (let i = 0; ; i++) {
      assert.ok(i < 10_000, 'Redis never ran out of memory');
      const key = `filler:${size}:${i}`;
      try {
        await client.set(key, 'x'.repeat(size));
      } catch (error) {
        assert.match((error as Error).message, /^OOM /);
        break;
      }
      keys.push(key);
    }
  }
  return keys;
}

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
    server = await startRedis(['--maxmemory-policy', 'noeviction', '--maxmemory', '2mb']);
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

      const filler = await fillMemory(client);
      for (let i = 0; i < 3; i++) assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: `while-full-${i}` }))).status, 503);
      assert.equal(recorder.count('event'), 1);
      assert.equal(reported.length, 3);
      assert.match(String((reported[0] as StorageError).cause), /OOM/);
      const sick = await webhooks.health();
      assert.equal(sick.ok, false);
      assert.match(sick.storage.error!, /OOM/);

      await client.del(...filler);
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
