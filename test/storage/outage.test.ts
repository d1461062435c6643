import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { deliver, testReceiver } from '../helpers/app';
import { edited } from '../helpers/fixtures';
import { TcpProxy } from './tcp-proxy';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';

const tokenexEvent = (messageId: string) => edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.messageId = messageId; });

/**
 * The database goes away while the app serves: deliveries answer the provider's retry-later
 * response and call onError; the app keeps serving; once the database is back, the provider's
 * retry is processed (handlers run once) and a redelivery of an earlier event is still a duplicate.
 */
async function outage(proxy: TcpProxy, storage: Storage): Promise<void> {
  const { app, webhooks, recorder } = testReceiver({ storage });
  const errors: unknown[] = [];
  webhooks.onError((error) => { errors.push(error); });
  try {
    const before = randomUUID();
    assert.equal((await deliver(app, 'tokenex', tokenexEvent(before))).status, 200);
    assert.equal(recorder.count('event'), 1);

    await proxy.stop();
    const during = randomUUID();
    const failed = await deliver(app, 'tokenex', tokenexEvent(during));
    assert.equal(failed.status, 503);
    assert.equal(recorder.count('event'), 1, 'no handler runs without storage');
    assert.ok(errors.length >= 1, 'onError was called');
    assert.equal((await deliver(app, 'tokenex', tokenexEvent(randomUUID()))).status, 503, 'still serving, still retry-later');

    await proxy.start();
    // The provider retries; the client reconnects in the background (bounded wait).
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (status !== 200) {
      status = (await deliver(app, 'tokenex', tokenexEvent(during))).status;
      if (status !== 200) {
        assert.equal(status, 503);
        assert.ok(Date.now() < deadline, 'storage did not recover within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    assert.equal(recorder.count('event'), 2);
    assert.equal(recorder.last('event').id, during);
    const again = await deliver(app, 'tokenex', tokenexEvent(before));
    assert.equal(again.status, 200);
    assert.equal(recorder.count('event'), 2, 'a redelivery is not dispatched again');
  } finally {
    await webhooks.close();
  }
}

describe('storage outage: retry-later answers, onError, recovery', function () {
  this.timeout(30_000);

  describe('PostgreSQL', function () {
    const schema = uniqueName('ntw_test_');
    const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
    after(async function () {
      if (service.available) await dropSchema(schema);
    });

    it('answers 503 while the database is unreachable and recovers when it is back', async function () {
      const target = new URL(DATABASE_URL);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
      await proxy.start();
      try {
        await outage(proxy, new PostgresStorage({ connectionString: proxy.url(DATABASE_URL), schema, poolConfig: { connectionTimeoutMillis: 1000 } }));
      } finally {
        await proxy.stop();
      }
    });
  });

  describe('Redis', function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const service = needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);
    after(async function () {
      if (service.available) await deleteKeys(prefix);
    });

    it('answers 503 while Redis is unreachable and recovers when it is back', async function () {
      const target = new URL(REDIS_URL);
      const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
      await proxy.start();
      try {
        await outage(proxy, new RedisStorage({ url: proxy.url(REDIS_URL), keyPrefix: prefix, redisOptions: { retryStrategy: () => 50 } }));
      } finally {
        await proxy.stop();
      }
    });
  });
});
