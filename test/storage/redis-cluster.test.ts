import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
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

  it('concurrent admits share one script call per shard: each id admitted once, states applied and counted once, timelines kept', async function () {
    const client = cluster!.client();
    clients.push(client);
    const s = new RedisStorage({ client, keyPrefix: 'ntw-cluster-group:' });
    await s.init();
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
    const calls: number[] = [];
    (client as unknown as { evalsha: unknown }).evalsha = (sha: string, keys: number, ...rest: unknown[]) => {
      calls.push(keys);
      return evalsha(sha, keys, ...rest);
    };
    const record = (id: string, n: number) => ({
      provider: 'p', id, type: 'token.active', tokenRef: `tok-${n % 5}`, state: 'ACTIVE' as const, occurredAt: new Date(1000), receivedAt: new Date(2000 + n),
      fingerprint: 'f', body: '{}',
    });
    const ids = Array.from({ length: 120 }, (_, n) => `g${n % 60}`);
    const admissions = await Promise.all(ids.map((id, n) => s.admit(record(id, n % 60), { as: 'running', owner: 'o', leaseMs: 60_000 })));
    admissions.forEach((admission, n) => assert.equal(admission.entry.id, ids[n]));
    assert.equal(admissions.filter((a) => a.admitted).length, 60, 'each id admitted once');
    assert.ok(calls.some((keys) => keys > 3), 'some script calls carried several admits');
    const tokens = (await s.stats({ since: new Date(0), until: new Date(1) })).tokens;
    assert.deepEqual(tokens.map((t) => [t.state, t.count]), [['ACTIVE', 5]], 'each token counted once');
    assert.equal((await s.listEntries({ provider: 'p', tokenRef: 'tok-2', limit: 100 })).length, 12, 'every entry in its token\'s timeline');
  });

  it('leaseMany takes the oldest due entries of every shard, at most its limit, states of one token in due order; settleMany settles them', async function () {
    const client = cluster!.client();
    clients.push(client);
    const s = new RedisStorage({ client, keyPrefix: 'ntw-cluster-batch:' });
    await s.init();
    const shardOf = (id: string) => crc32(`p\u0000${id}`) % s.shards;
    const at = (ms: number) => new Date(Date.UTC(2025, 0, 1) + ms);
    const entry = (id: string, tokenRef: string, state: 'ACTIVE' | 'SUSPENDED', occurredAt: Date) => ({
      provider: 'p', id, type: 'token.updated', tokenRef, state, occurredAt, receivedAt: occurredAt, fingerprint: id, body: '{}',
    });
    // Two events of one token on two shards, the newer due first; then ten more, each due later than the one before.
    const newer = 'newer';
    const older = Array.from({ length: 100 }, (_, i) => `older-${i}`).find((id) => shardOf(id) !== shardOf(newer))!;
    const records = [entry(newer, 'tok', 'SUSPENDED', at(20_000)), entry(older, 'tok', 'ACTIVE', at(10_000)),
      ...Array.from({ length: 10 }, (_, i) => entry(`more-${i}`, `tok-${i}`, 'ACTIVE', at(i)))];
    for (const r of records) {
      await s.admit(r, { as: 'pending' });
      await new Promise((resolve) => setTimeout(resolve, 2)); // each due a millisecond later than the one before, by any clock
    }
    assert.ok(new Set(records.map((r) => shardOf(r.id))).size > 2);
    const batch = await s.leaseMany('w', 60_000, 8);
    assert.deepEqual(batch.map((e) => e.id), records.slice(0, 8).map((r) => r.id), 'the eight due first, in due order');
    assert.deepEqual(batch.map((e) => [e.status, e.attempts]), Array(8).fill(['running', 1]));
    assert.deepEqual(batch.slice(0, 2).map((e) => [e.projection, e.staleReason]), [['changed', undefined], ['stale', 'out_of_order']]);
    assert.equal((await s.getTokenState('p', 'tok'))?.state, 'SUSPENDED');
    assert.deepEqual(await s.settleMany([...batch.map((e) => ({ key: e, owner: 'w', settlement: { status: 'done' as const } })),
      { key: records[9]!, owner: 'w', settlement: { status: 'failed', error: 'not leased', retryInMs: 0 } }]), [...Array(8).fill(true), false]);
    assert.deepEqual((await s.listEntries({ provider: 'p', status: 'done', limit: 20 })).length, 8);
    assert.deepEqual((await s.leaseMany('w', 60_000, 100)).map((e) => e.id), records.slice(8).map((r) => r.id));
    assert.deepEqual(await s.leaseMany('w', 60_000, 100), []);
    const stats = await s.stats({ since: at(0), until: at(1), provider: 'p' });
    assert.deepEqual(stats.tokens.map((t) => [t.state, t.count]).sort(), [['ACTIVE', 10], ['SUSPENDED', 1]]);
  });

  it('leaseMany answers the entries whose states it applied; one whose state it could not apply is left to its lease, and with none applied it fails', async function () {
    const client = cluster!.client();
    clients.push(client);
    const prefix = 'ntw-cluster-unapplied:';
    const s = new RedisStorage({ client, keyPrefix: prefix });
    await s.init();
    const entry = (id: string, tokenRef: string) => ({
      provider: 'p', id, type: 'token.active', tokenRef, state: 'ACTIVE' as const, occurredAt: new Date(), receivedAt: new Date(), fingerprint: id, body: '{}',
    });
    await client.set(`${prefix}{t:p:broken}`, 'not a hash'); // the token's state cannot be read: applying it fails
    await s.admit(entry('fine', 'ok'), { as: 'pending' });
    await s.admit(entry('stuck', 'broken'), { as: 'pending' });
    assert.deepEqual((await s.leaseMany('w', 60_000, 10)).map((e) => [e.id, e.projection]), [['fine', 'changed']]);
    assert.deepEqual([(await s.getEntry({ provider: 'p', id: 'stuck' }))?.status, await s.lease('v', 60_000, { provider: 'p', id: 'stuck' })],
      ['running', undefined], 'leased, not answered: due again when its lease runs out');
    await s.admit(entry('alone', 'broken'), { as: 'pending' });
    await assert.rejects(s.leaseMany('w', 60_000, 10), /WRONGTYPE/);
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
