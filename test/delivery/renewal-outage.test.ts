import assert from 'node:assert/strict';
import type { Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';
import { TcpProxy } from '../storage/tcp-proxy';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { Latch, eventually, post, tokenexBody } from './support';

// The defaults (a 30 s lease, 5 s per storage call, a database silent for 6 s around one renewal) scaled down
// by five, so that the test waits for the first lease to run out in 6 s rather than 30.
const LEASE_MS = 6000;
const STORAGE_TIMEOUT_MS = 1000;
const ADAPTER_TIMEOUT_MS = 800;

interface Backend {
  readonly host: string;
  readonly port: number;
  /** The storage of the instance whose renewal meets the silence, through the proxy. */
  proxied(proxy: TcpProxy): Storage;
  /** The storage of the other instance, on the same data, straight to the database. */
  direct(): Storage;
}

function renewalOutage(name: string, backend: () => Backend): void {
  it(`${name}: a database silent around one renewal does not end the heartbeat; a retry at another instance is answered in_progress, never run concurrently`, async function () {
    this.timeout(30_000);
    const { host, port, proxied, direct } = backend();
    const proxy = new TcpProxy(host, port);
    await proxy.start();
    const { schedule, renewals } = manualSchedule();
    const options = { leaseMs: LEASE_MS, storageTimeoutMs: STORAGE_TIMEOUT_MS };
    const a = testReceiver({ ...options, storage: proxied(proxy), renewalSchedule: schedule });
    const b = testReceiver({ ...options, storage: direct() });
    const gate = new Latch();
    const entered = new Latch();
    let running = 0;
    let runs = 0;
    let concurrent = 0;
    const handler = async () => {
      runs++;
      if (++running > 1) concurrent++;
      entered.open();
      try {
        await gate.promise;
      } finally {
        running--;
      }
    };
    a.webhooks.onEvent(handler);
    b.webhooks.onEvent(handler);
    const reports: string[] = [];
    a.webhooks.onError((error) => { reports.push(`${(error as { code?: string }).code} ${(error as { operation?: string }).operation ?? ''}`.trim()); });
    try {
      await a.webhooks.ready();
      await b.webhooks.ready();
      const id = `evt-renewal-outage-${Date.now()}`;
      const body = tokenexBody({ id, tokenRef: `tok-${id}` });
      const key = { provider: 'tokenex', id };
      const first = post(a.app, 'tokenex', body).then((res) => res.status);
      await entered.promise;
      const leaseEnd = (await b.webhooks.storage.getEntry(key))!.dueAt.getTime();

      proxy.silence(); // a silent database: the renewal's query is never answered, its connection never closed
      await renewals[0]!.beat();
      proxy.heal(); // new connections pass again; the silenced one is discarded by the adapter
      // The next beats renew the lease once the adapter has a working connection again.
      let renewed = false;
      await eventually(async () => {
        await renewals[0]!.beat();
        renewed = (await b.webhooks.storage.getEntry(key))!.dueAt.getTime() > leaseEnd;
        return renewed || Date.now() > leaseEnd;
      }, 10_000, 'a renewal after the database answers again');

      // Until well past the lease first taken (the database runs on this machine: its clock is ours), the
      // provider's retries at the other instance hear in_progress.
      const statuses: number[] = [];
      await eventually(async () => {
        statuses.push((await post(b.app, 'tokenex', body)).status);
        return statuses.at(-1) !== 409 || Date.now() > leaseEnd + 500;
      }, 15_000, 'the first lease end to pass');
      assert.deepEqual([...new Set(statuses)], [409], `the other instance answered ${statuses.join(',')}; runs ${runs}, at once ${concurrent}`);
      assert.ok(renewed, 'the lease was renewed after the failed renewal');
      assert.equal(runs, 1);

      gate.open();
      assert.equal(await first, 200);
      assert.equal(concurrent, 0, 'never two runs at once');
      assert.equal(runs, 1);
      assert.equal((await b.webhooks.storage.getEntry(key))?.status, 'done');
      assert.ok(!reports.includes('ERR_NTW_LEASE_LOST'), `the lease was not reported lost: ${reports.join(', ')}`);
      assert.ok(reports.some((r) => r.endsWith(' extend')), `the failed renewal was reported: ${reports.join(', ')}`);
    } finally {
      gate.open();
      await a.webhooks.close();
      await b.webhooks.close();
      await proxy.stop();
    }
  });
}

describe('delivery: lease renewal through a silent database', function () {
  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schema = uniqueName('ntw_renewal_');
    after(() => dropSchema(schema).catch(() => undefined));
    renewalOutage('PostgreSQL', () => {
      const url = new URL(DATABASE_URL);
      return {
        host: url.hostname, port: Number(url.port || 5432),
        proxied: (proxy) => new PostgresStorage({ connectionString: proxy.url(DATABASE_URL), schema, timeoutMs: ADAPTER_TIMEOUT_MS }),
        direct: () => new PostgresStorage({ connectionString: DATABASE_URL, schema, timeoutMs: ADAPTER_TIMEOUT_MS }),
      };
    });
  });
  describe('Redis', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    const keyPrefix = uniqueName('ntw-renewal:');
    after(() => deleteKeys(keyPrefix).then(() => undefined, () => undefined));
    renewalOutage('Redis', () => {
      const url = new URL(REDIS_URL);
      return {
        host: url.hostname, port: Number(url.port || 6379),
        proxied: (proxy) => new RedisStorage({ url: proxy.url(REDIS_URL), keyPrefix, timeoutMs: ADAPTER_TIMEOUT_MS }),
        direct: () => new RedisStorage({ url: REDIS_URL, keyPrefix, timeoutMs: ADAPTER_TIMEOUT_MS }),
      };
    });
  });
});
