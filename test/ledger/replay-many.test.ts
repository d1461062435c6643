import assert from 'node:assert/strict';
import { ConfigurationError, MemoryStorage, StorageError } from '../../lib';
import type { InboxTokenWebhooks, ReplayManyQuery, Storage, StoredEvent, TokenEvent, TokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { deliver, testReceiver } from '../helpers/app';
import { eventually, tokenexBody } from '../delivery/support';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';

/** A fresh, empty store for one test, and what removes it afterwards. */
type Fresh = () => { readonly storage: Storage; readonly remove: () => Promise<void> };

interface Bench<W extends TokenWebhooks<TokenEvent>> {
  readonly webhooks: W;
  /** Handlers throw while this is true. */
  failing: boolean;
  /** Events whose handlers ran and did not throw, by id. */
  readonly completed: string[];
  send(id: string): Promise<void>;
  statuses(): Promise<Record<string, string>>;
}

function bench<W extends TokenWebhooks<TokenEvent>>(storage: Storage, mode: 'sync' | 'inbox'): Bench<W> {
  const { app, webhooks } = testReceiver({ storage, mode, inbox: { maxAttempts: 1, pollIntervalMs: false } });
  const state: Bench<W> = {
    webhooks: webhooks as W, failing: false, completed: [],
    async send(id) {
      const res = await deliver(app, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }));
      assert.ok(res.status === 200 || (state.failing && res.status === 500), `delivery of ${id} answered ${res.status}`);
    },
    async statuses() {
      const events: StoredEvent[] = await webhooks.listEvents({ limit: 1000 });
      return Object.fromEntries(events.map((e) => [e.id, e.status]));
    },
  };
  webhooks.onEvent((event) => {
    if (state.failing) throw new Error('downstream 503');
    state.completed.push(event.id);
  });
  return state;
}

const code = async (work: Promise<unknown>) => {
  try {
    await work;
  } catch (error) {
    return (error as ConfigurationError).code;
  }
  return 'resolved';
};

function replayManySuite(name: string, fresh: Fresh): void {
  describe(name, function () {
    this.timeout(60_000);
    const made: (() => Promise<void>)[] = [];
    const open = <W extends TokenWebhooks<TokenEvent>>(mode: 'sync' | 'inbox') => {
      const { storage, remove } = fresh();
      const b = bench<W>(storage, mode);
      made.push(async () => {
        await b.webhooks.close();
        await remove();
      });
      return b;
    };
    afterEach(async () => {
      for (const close of made.splice(0)) await close();
    });

    /** `ids` delivered while handlers fail, then run by the worker once each: dead letters. */
    async function deadLetters(b: Bench<InboxTokenWebhooks<TokenEvent>>, ids: readonly string[]): Promise<void> {
      b.failing = true;
      for (const id of ids) await b.send(id);
      assert.equal(await b.webhooks.processInbox(), ids.length);
      b.failing = false;
    }

    it('replays the dead letters of a window, oldest first, once: a second call right after answers 0', async () => {
      const b = open<InboxTokenWebhooks<TokenEvent>>('inbox');
      const early = ['d-1', 'd-2', 'd-3'];
      const late = ['d-4', 'd-5'];
      await deadLetters(b, [...early, ...late]);
      const received = new Map((await b.webhooks.listEvents()).map((e) => [e.id, e.receivedAt]));
      const until = received.get('d-4')!;
      assert.ok(received.get('d-3')! < until, 'the later events were received later');
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', until }), { replayed: 3 });
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', until }), { replayed: 0 }, 'they are pending now, not dead');
      assert.deepEqual(await b.statuses(), { 'd-1': 'pending', 'd-2': 'pending', 'd-3': 'pending', 'd-4': 'dead', 'd-5': 'dead' });
      assert.equal(await b.webhooks.processInbox(), 3);
      assert.deepEqual([...b.completed].sort(), early);
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', until }), { replayed: 0 });
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', since: until }), { replayed: 2 });
      assert.equal(await b.webhooks.processInbox(), 2);
      assert.deepEqual(Object.values(await b.statuses()), ['done', 'done', 'done', 'done', 'done']);
    });

    it('takes at most limit, of one provider; two calls at once replay each event once between them', async () => {
      const b = open<InboxTokenWebhooks<TokenEvent>>('inbox');
      const ids = Array.from({ length: 12 }, (_, i) => `l-${String(i).padStart(2, '0')}`);
      await deadLetters(b, ids);
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', provider: 'cybersource' }), { replayed: 0 }, 'no dead letter of that provider');
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', provider: 'tokenex', limit: 2 }), { replayed: 2 });
      const [one, two] = await Promise.all([b.webhooks.replayMany({ status: 'dead' }), b.webhooks.replayMany({ status: 'dead' })]);
      assert.equal(one.replayed + two.replayed, 10, `each of the other 10 once (${one.replayed} + ${two.replayed})`);
      assert.equal(await b.webhooks.processInbox(), 12);
      assert.deepEqual([...b.completed].sort(), ids);
    });

    it('sync mode: replays failed events, which run in the background one at a time, and close() waits for them', async () => {
      const b = open<TokenWebhooks<TokenEvent>>('sync');
      b.failing = true;
      for (const id of ['f-1', 'f-2', 'f-3']) await b.send(id);
      b.failing = false;
      assert.deepEqual(await b.statuses(), { 'f-1': 'failed', 'f-2': 'failed', 'f-3': 'failed' });
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead' }), { replayed: 0 }, 'failed is not dead');
      assert.deepEqual(await b.webhooks.replayMany({ status: 'failed' }), { replayed: 3 });
      assert.deepEqual(await b.webhooks.replayMany({ status: 'failed' }), { replayed: 0 });
      await eventually(async () => Object.values(await b.statuses()).every((s) => s === 'done'), 20_000, 'the replayed events to complete');
      assert.deepEqual(b.completed, ['f-1', 'f-2', 'f-3']);
    });

    it('refuses a query it cannot run (ERR_NTW_OPTION), replaying nothing', async () => {
      const b = open<InboxTokenWebhooks<TokenEvent>>('inbox');
      await deadLetters(b, ['q-1']);
      const bad: unknown[] = [
        { status: 'done' }, {}, { status: 'dead', limit: 0 }, { status: 'dead', limit: 10_001 }, { status: 'dead', limit: 1.5 },
        { status: 'dead', since: new Date('nope') }, { status: 'dead', until: '2025-01-01' }, { status: 'dead', provider: '' }, null,
      ];
      for (const query of bad) assert.equal(await code(b.webhooks.replayMany(query as ReplayManyQuery)), 'ERR_NTW_OPTION', JSON.stringify(query));
      assert.deepEqual(await b.statuses(), { 'q-1': 'dead' });
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead', limit: 10_000 }), { replayed: 1 });
    });
  });
}

describe('replayMany(): dead or failed events replayed in bulk', () => {
  replayManySuite('MemoryStorage', () => ({ storage: new MemoryStorage(), remove: async () => undefined }));
  replayManySuite('SqliteStorage', () => ({ storage: new SqliteStorage({ path: ':memory:' }), remove: async () => undefined }));

  describe('on the real servers', () => {
    describe('PostgreSQL', () => {
      needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
      replayManySuite('PostgresStorage', () => {
        const schema = uniqueName('ntw_replay_many_');
        return { storage: new PostgresStorage({ connectionString: DATABASE_URL, schema }), remove: () => dropSchema(schema) };
      });
    });
    describe('Redis', () => {
      needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
      replayManySuite('RedisStorage', () => {
        const keyPrefix = uniqueName('ntw-replay-many:');
        return { storage: new RedisStorage({ url: REDIS_URL, keyPrefix }), remove: () => deleteKeys(keyPrefix).then(() => undefined) };
      });
    });
  });

  it('a storage failure part way rejects with a StorageError; what was requeued before it still runs', async () => {
    const storage = new MemoryStorage();
    const b = bench<InboxTokenWebhooks<TokenEvent>>(storage, 'inbox');
    try {
      b.failing = true;
      for (const id of ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6', 's-7', 's-8', 's-9', 's-10']) await b.send(id);
      await b.webhooks.processInbox();
      b.failing = false;
      const requeue = storage.requeue.bind(storage);
      let calls = 0;
      storage.requeue = (id, provider) => {
        if (++calls === 4) throw new Error('connection reset');
        return requeue(id, provider);
      };
      const failure = await b.webhooks.replayMany({ status: 'dead' }).then(() => undefined, (error: unknown) => error);
      assert.ok(failure instanceof StorageError, String(failure));
      assert.equal(failure.operation, 'requeue');
      const statuses = Object.values(await b.statuses());
      const pending = statuses.filter((s) => s === 'pending').length;
      assert.ok(pending >= 3 && pending < 10, `${pending} requeued before the failure`);
      assert.equal(await b.webhooks.processInbox(), pending);
      storage.requeue = requeue;
      assert.deepEqual(await b.webhooks.replayMany({ status: 'dead' }), { replayed: 10 - pending }, 'the rest on the next call');
    } finally {
      await b.webhooks.close();
    }
  });
});
