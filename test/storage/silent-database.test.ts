import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { StorageError } from '../../lib';
import type { Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { testReceiver } from '../helpers/app';
import { eventually, instrumented, listen, post, tokenexBody } from '../delivery/support';
import { TcpProxy } from './tcp-proxy';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';

/**
 * The database goes silent (half-open connections: packets swallowed, nothing answered, nothing reset), resets
 * every connection, or pauses and later delivers everything, while deliveries run concurrently. A fault-injecting
 * proxy on loopback sits between the app and the real PostgreSQL or Redis. What must hold:
 * - every delivery during the fault is answered retry-later, and each failed storage call reaches onError once,
 *   as a StorageError with a named code;
 * - once the fault ends, new deliveries succeed within a bounded time, without a restart, although the pool (or
 *   the connection) was in use when the fault began;
 * - the provider's retries process every event sent during the fault exactly once (a claim the fault left
 *   behind expires with its lease);
 * - close() resolves within shutdownTimeoutMs, and the app keeps no connection open through the proxy.
 */

const STORAGE_TIMEOUT_MS = 1000; // the delivery core's deadline per storage call
const ADAPTER_TIMEOUT_MS = 800; // the adapter's own per-query deadline, under it
const LEASE_MS = 3000; // at least 3 × STORAGE_TIMEOUT_MS: a renewal and its retry fit in it
const SHUTDOWN_TIMEOUT_MS = 4000;
const CONCURRENT = 30;
const RECOVERY_LIMIT_MS = 10_000;
const RETRY_INTERVAL_MS = 100; // how often the "provider" retries here

type Fault = 'silence' | 'reset' | 'pause';

const faultName: Record<Fault, string> = {
  silence: 'goes silent (half-open connections)',
  reset: 'resets every connection',
  pause: 'pauses, then delivers everything late',
};

interface Backend {
  readonly host: string;
  readonly port: number;
  storage(proxy: TcpProxy): Storage;
}

function inject(proxy: TcpProxy, fault: Fault): void {
  if (fault === 'silence') proxy.silence();
  else if (fault === 'reset') proxy.reset();
  else proxy.pause();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deliver `id` as a provider does: again after every retry-later answer, until it is acknowledged (bounded). */
async function deliverUntilAcknowledged(server: Server, id: string, limitMs: number): Promise<number[]> {
  const statuses: number[] = [];
  const end = Date.now() + limitMs;
  for (;;) {
    const res = await post(server, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }));
    statuses.push(res.status);
    if (res.status === 200) return statuses;
    assert.ok(res.status === 503 || res.status === 409, `only retry-later answers before the acknowledgement, got ${res.status}`);
    assert.ok(Date.now() < end, `${id} not acknowledged within ${limitMs} ms: ${statuses.join(',')}`);
    await sleep(RETRY_INTERVAL_MS);
  }
}

async function withApp(backend: Backend, run: (ctx: {
  proxy: TcpProxy; server: Server; runs: Map<string, number>; errors: { error: unknown; eventId: string | undefined }[];
  admits: { started: number }; close: () => Promise<number>;
}) => Promise<void>): Promise<void> {
  const proxy = new TcpProxy(backend.host, backend.port);
  await proxy.start();
  const admits = { started: 0 };
  const storage = instrumented(backend.storage(proxy), { before: (method) => { if (method === 'admit') admits.started++; } });
  const { app, webhooks } = testReceiver({ storage, storageTimeoutMs: STORAGE_TIMEOUT_MS, leaseMs: LEASE_MS, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
  const runs = new Map<string, number>();
  webhooks.onEvent((event) => { runs.set(event.id, (runs.get(event.id) ?? 0) + 1); });
  const errors: { error: unknown; eventId: string | undefined }[] = [];
  webhooks.onError((error, context) => { errors.push({ error, eventId: context.eventId }); });
  await webhooks.ready();
  const server = await listen(app);
  const close = async () => {
    const started = Date.now();
    await webhooks.close();
    return Date.now() - started;
  };
  try {
    await run({ proxy, server, runs, errors, admits, close });
  } finally {
    server.close();
    await webhooks.close();
    await proxy.stop();
  }
}

/** Every connection the app opened through the proxy is closed by it (a silenced one included). */
async function noConnectionLeft(proxy: TcpProxy): Promise<void> {
  await eventually(() => {
    proxy.knock();
    return proxy.openConnections === 0;
  }, 5000, `the app to close its connections (${proxy.openConnections} open)`);
}

function faultScenario(backend: () => Backend, fault: Fault): void {
  it(`the database ${faultName[fault]} under ${CONCURRENT} concurrent deliveries: retry-later, then each event exactly once, recovery, close()`, async function () {
    this.timeout(60_000);
    await withApp(backend(), async ({ proxy, server, runs, errors, close }) => {
      // Every connection in use, so the fault catches the pool (or the connection) busy.
      const warm = await Promise.all(Array.from({ length: CONCURRENT }, () => post(server, 'tokenex', tokenexBody({ id: randomUUID() }))));
      assert.deepEqual(warm.map((r) => r.status), warm.map(() => 200));
      assert.equal(errors.length, 0);

      inject(proxy, fault);
      const ids = Array.from({ length: CONCURRENT }, () => randomUUID());
      const during = await Promise.all(ids.map((id) => post(server, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }))));
      for (const res of during) {
        assert.equal(res.status, 503);
        assert.equal((res.body as { error: { code: string } }).error.code, 'storage_unavailable');
        assert.equal(res.headers['retry-after'], '5');
      }
      assert.equal(ids.filter((id) => runs.has(id)).length, 0, 'no handler ran during the fault');
      // One storage call per delivery (its admit), each reported once, with a named code.
      assert.deepEqual(errors.map((e) => e.eventId).sort(), [...ids].sort());
      for (const { error } of errors) {
        assert.ok(error instanceof StorageError, `a StorageError, got ${String(error)}`);
        assert.ok(['ERR_NTW_STORAGE_TIMEOUT', 'ERR_NTW_STORAGE_UNAVAILABLE'].includes(error.code));
        assert.equal(error.operation, 'admit');
      }

      proxy.heal();
      // The fault has ended: a new delivery succeeds within a bounded time, without a restart.
      const fresh = randomUUID();
      await deliverUntilAcknowledged(server, fresh, RECOVERY_LIMIT_MS);
      assert.equal(runs.get(fresh), 1);

      // The provider retries each event sent during the fault: acknowledged, its handlers run exactly once.
      await Promise.all(ids.map((id) => deliverUntilAcknowledged(server, id, LEASE_MS + RECOVERY_LIMIT_MS)));
      assert.deepEqual(ids.map((id) => runs.get(id)), ids.map(() => 1));
      const again = await Promise.all(ids.map((id) => post(server, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }))));
      assert.ok(again.every((res) => res.status === 200 && (res.body as { duplicate: boolean }).duplicate));
      assert.deepEqual(ids.map((id) => runs.get(id)), ids.map(() => 1), 'a copy after the acknowledgement runs nothing');

      assert.ok(await close() < SHUTDOWN_TIMEOUT_MS + 1000, 'close() within shutdownTimeoutMs');
      await noConnectionLeft(proxy);
    });
  });
}

function closeScenario(backend: () => Backend): void {
  it('close() resolves within shutdownTimeoutMs while the database is silent with deliveries in flight, and leaves no connection open', async function () {
    this.timeout(30_000);
    await withApp(backend(), async ({ proxy, server, admits, close }) => {
      const warm = await Promise.all(Array.from({ length: CONCURRENT }, () => post(server, 'tokenex', tokenexBody({ id: randomUUID() }))));
      assert.ok(warm.every((r) => r.status === 200));
      proxy.silence();
      const before = admits.started;
      const inFlight = Promise.all(Array.from({ length: CONCURRENT }, () => post(server, 'tokenex', tokenexBody({ id: randomUUID() }))));
      await eventually(() => admits.started === before + CONCURRENT, 5000, 'every delivery to wait on the silent database');
      const elapsed = await close();
      assert.ok(elapsed < SHUTDOWN_TIMEOUT_MS + 1000, `close() took ${elapsed} ms`);
      for (const res of await inFlight) assert.equal(res.status, 503, 'answered retry-later');
      await noConnectionLeft(proxy); // the silenced ones included: the adapter destroyed what it could not end
    });
  });
}

function adapterCloseScenario(backend: () => Backend): void {
  it('the adapter\'s own close(), with idle connections to a silent database, ends by itself and leaves no connection open', async function () {
    this.timeout(30_000);
    const b = backend();
    const proxy = new TcpProxy(b.host, b.port);
    await proxy.start();
    const storage = b.storage(proxy);
    try {
      await storage.init?.();
      await Promise.all(Array.from({ length: 5 }, () => storage.getTokenState('p', randomUUID()))); // connections, now idle
      proxy.silence();
      const started = Date.now();
      await storage.close?.(); // a goodbye nobody answers: it gives up and destroys the connections
      assert.ok(Date.now() - started < ADAPTER_TIMEOUT_MS + 2000, `close() took ${Date.now() - started} ms`);
      await noConnectionLeft(proxy);
    } finally {
      await proxy.stop();
    }
  });
}

describe('a silent database: timeouts, recovery and exactly-once processing through a fault-injecting proxy', function () {
  describe('PostgreSQL', function () {
    const schema = uniqueName('ntw_test_');
    const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
    after(async function () {
      if (service.available) await dropSchema(schema);
    });
    const backend = (): Backend => ({
      host: new URL(DATABASE_URL).hostname,
      port: Number(new URL(DATABASE_URL).port || 5432),
      storage: (proxy) => new PostgresStorage({ connectionString: proxy.url(DATABASE_URL), schema, timeoutMs: ADAPTER_TIMEOUT_MS }),
    });
    for (const fault of ['silence', 'reset', 'pause'] as const) faultScenario(backend, fault);
    closeScenario(backend);
    adapterCloseScenario(backend);
  });

  describe('Redis', function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const service = needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);
    after(async function () {
      if (service.available) await deleteKeys(prefix);
    });
    const backend = (): Backend => ({
      host: new URL(REDIS_URL).hostname,
      port: Number(new URL(REDIS_URL).port || 6379),
      storage: (proxy) => new RedisStorage({ url: proxy.url(REDIS_URL), keyPrefix: prefix, timeoutMs: ADAPTER_TIMEOUT_MS }),
    });
    for (const fault of ['silence', 'reset', 'pause'] as const) faultScenario(backend, fault);
    closeScenario(backend);
    adapterCloseScenario(backend);
  });
});
