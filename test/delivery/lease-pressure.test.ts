import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createTokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from '../storage/services';
import { TcpProxy } from '../storage/tcp-proxy';
import { testReceiver } from '../helpers/app';
import { listen, post, tokenexBody } from './support';

const EVENTS = 200;
const POOL_MAX = 4;
/** Each way: a round trip to the database takes 20 ms more. */
const LATENCY_MS = 10;
/** The work each handler does (a payment API call, say): long enough for its lease to need renewals. */
const HANDLER_MS = 4000;

/** Deliver `id` as a provider does, again after each retry-later answer, until it is acknowledged (bounded). */
async function deliver(server: Server, id: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    const res = await post(server, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }));
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${id} was never acknowledged`);
}

describe('delivery: lease lengths that renewal can keep', () => {
  const codeOf = (error: unknown) => (error as { code?: string }).code;

  it('refuses a leaseMs shorter than 3 × storageTimeoutMs (ERR_NTW_LEASE_TOO_SHORT), naming both', () => {
    for (const options of [{ leaseMs: 1500 }, { leaseMs: 14_999 }, { leaseMs: 3000, storageTimeoutMs: 1001 }]) {
      assert.throws(() => createTokenWebhooks(options), (error: unknown) => codeOf(error) === 'ERR_NTW_LEASE_TOO_SHORT'
        && /leaseMs \(\d+\) must be at least 3 × storageTimeoutMs/.test((error as Error).message));
    }
    for (const options of [{}, { leaseMs: 15_000 }, { leaseMs: 1500, storageTimeoutMs: 500 }, { storageTimeoutMs: 10_000 }]) {
      assert.doesNotThrow(() => createTokenWebhooks({ pruneIntervalMs: false, ...options }));
    }
    assert.throws(() => createTokenWebhooks({ storageTimeoutMs: 10_001 }), (error: unknown) => codeOf(error) === 'ERR_NTW_LEASE_TOO_SHORT');
  });

  describe('under pool pressure (PostgreSQL, a pool of 4, 20 ms round trips)', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schema = uniqueName('ntw_pressure_');
    after(() => dropSchema(schema).catch(() => undefined));

    it(`${EVENTS} events, each sent to two instances at once, with the shortest lease accepted (15 s): no lease lost, none run twice`, async function () {
      this.timeout(120_000);
      const url = new URL(DATABASE_URL);
      const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
      await proxy.start();
      proxy.latencyMs = LATENCY_MS;
      const runs = new Map<string, number>();
      const lost: unknown[] = [];
      const instance = () => {
        const { app, webhooks } = testReceiver({
          storage: new PostgresStorage({ connectionString: proxy.url(DATABASE_URL), schema, poolConfig: { max: POOL_MAX } }),
          leaseMs: 15_000,
        });
        webhooks.onEvent(async (event) => {
          runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, HANDLER_MS));
        });
        webhooks.onError((error) => { if (codeOf(error) === 'ERR_NTW_LEASE_LOST') lost.push(error); });
        return { app, webhooks };
      };
      const a = instance();
      const b = instance();
      await Promise.all([a.webhooks.ready(), b.webhooks.ready()]);
      const servers = [await listen(a.app), await listen(b.app)];
      try {
        const ids = Array.from({ length: EVENTS }, (_, i) => `evt-pressure-${i}`);
        await Promise.all(ids.flatMap((id) => servers.map((server) => deliver(server, id))));
        assert.deepEqual(ids.filter((id) => !runs.has(id)), [], 'every event ran');
        assert.deepEqual(ids.filter((id) => runs.get(id)! > 1), [], 'no event ran twice');
        assert.equal(lost.length, 0, 'no lease was lost');
      } finally {
        for (const server of servers) server.close();
        await Promise.all([a.webhooks.close(), b.webhooks.close()]);
        await proxy.stop();
      }
    });
  });
});
