import assert from 'node:assert/strict';
import type { Cluster } from 'ioredis';
import { RedisStorage } from '../../lib/storage/redis';
import { runStorageConformance } from '../../lib/storage/kit';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';
import type { LocalCluster } from './redis-cluster';
import { clusterUnavailable, startCluster } from './redis-cluster';

describe('RedisStorage on a Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: LocalCluster | undefined;
  const clients: Cluster[] = [];

  before(async function () {
    const why = clusterUnavailable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(`the Redis Cluster tests must run under CI=true: ${why}`);
      // eslint-disable-next-line no-console
      console.warn(`      skipping the Redis Cluster tests: ${why}`);
      this.skip();
    }
    cluster = await startCluster();
  });
  after(async function () {
    for (const client of clients) client.disconnect();
    await cluster?.stop();
  });

  const storage = () => {
    const client = cluster!.client();
    clients.push(client);
    return new RedisStorage({ client, keyPrefix: 'ntw-cluster:' });
  };

  runStorageConformance('RedisStorage (cluster, 16 shards over 3 nodes)', storage, { describe, it, before, after }, { persistent: true });

  it('spreads entries over the nodes and delivers end to end', async function () {
    const s = storage();
    const { app, webhooks, recorder } = testReceiver({ storage: s });
    for (let i = 0; i < 40; i++) assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: `cluster-${i}`, tokenRef: `tok-${i % 4}` }))).status, 200);
    assert.equal(recorder.count('event'), 40);
    assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'cluster-7', tokenRef: 'tok-3' }))).body.duplicate, true);
    const client = clients.at(-1)!;
    const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
    assert.ok(perNode.filter((n) => n > 0).length >= 2, `keys on ${perNode.join(', ')}`);
    assert.equal((await webhooks.listEvents({ provider: 'tokenex', tokenRef: 'tok-1', limit: 100 })).length, 10);
    await webhooks.close();
  });

  it('health() probes every shard\'s master; a master whose maxmemory-policy may evict is refused, by name', async function () {
    const { webhooks } = testReceiver({ storage: storage() });
    const client = clients.at(-1)!;
    await webhooks.ready();
    assert.equal((await webhooks.health()).ok, true);
    const [, node] = cluster!.nodes;
    const policy = (value: string) => client.nodes('master').find((n) => n.options.port === node!.port)!.config('SET', 'maxmemory-policy', value);
    await policy('allkeys-lru');
    try {
      const sick = await webhooks.health();
      assert.equal(sick.ok, false);
      assert.match(sick.storage.error!, new RegExp(`Redis Cluster node 127\\.0\\.0\\.1:${node!.port} has maxmemory-policy allkeys-lru`));
      const { webhooks: starting } = testReceiver({ storage: storage() });
      await assert.rejects(starting.ready(), { code: 'ERR_NTW_REDIS_EVICTION' });
      await starting.close();
    } finally {
      await policy('noeviction');
    }
    assert.equal((await webhooks.health()).ok, true);
    await webhooks.close();
  });
});
