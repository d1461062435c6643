import assert from 'node:assert/strict';
import { MemoryStorage, StorageError } from '../../lib';
import type { HealthReport, InboxTokenWebhooks, Storage, TokenEvent, TokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { testReceiver } from '../helpers/app';
import { TcpProxy } from '../storage/tcp-proxy';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from '../storage/services';

/**
 * Every public call that reaches storage settles within `storageTimeoutMs`, whatever the adapter's own `timeoutMs`:
 * against a database that never answers, each rejects with the receiver's own `ERR_NTW_STORAGE_TIMEOUT` naming the
 * call (health() answers not ok; processInbox() answers that it ran nothing), not after the adapter's deadline.
 */

const STORAGE_TIMEOUT_MS = 200;
/** The adapter's own per-query deadline, far above the receiver's: it must not be what ends the wait. */
const ADAPTER_TIMEOUT_MS = 120_000;
/** A bound on each wait, so that a call that hangs fails the test instead of hanging it. */
const BOUND_MS = 5_000;

type Outcome = { readonly settled: false } | { readonly settled: true; readonly value?: unknown; readonly error?: unknown };

/** How `work` settled within `ms`, or that it had not. */
function within(work: Promise<unknown>, ms: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ settled: false }), ms);
    timer.unref();
    work.then((value) => { clearTimeout(timer); resolve({ settled: true, value }); },
      (error: unknown) => { clearTimeout(timer); resolve({ settled: true, error }); });
  });
}

type Webhooks = TokenWebhooks<TokenEvent> | InboxTokenWebhooks<TokenEvent>;

interface Method {
  readonly name: string;
  readonly mode: 'sync' | 'inbox';
  readonly call: (webhooks: Webhooks) => Promise<unknown>;
  /** What it answers: a rejection with a timeout of this storage call, or a report (health, processInbox). */
  readonly expect: { readonly timeoutOf: string } | { readonly resolves: (value: unknown) => void };
}

const inbox = (webhooks: Webhooks) => webhooks as InboxTokenWebhooks<TokenEvent>;

const METHODS: readonly Method[] = [
  { name: 'getTokenState', mode: 'sync', call: (w) => w.getTokenState('tokenex', 'tok-silent'), expect: { timeoutOf: 'getTokenState' } },
  { name: 'listEvents', mode: 'sync', call: (w) => w.listEvents({ provider: 'tokenex' }), expect: { timeoutOf: 'listEntries' } },
  { name: 'replay (sync mode)', mode: 'sync', call: (w) => w.replay('evt-silent', 'tokenex'), expect: { timeoutOf: 'requeue' } },
  { name: 'replay (inbox mode)', mode: 'inbox', call: (w) => w.replay('evt-silent', 'tokenex'), expect: { timeoutOf: 'requeue' } },
  { name: 'replay of a quarantined delivery', mode: 'sync', call: (w) => w.replay(`quarantine:${'0'.repeat(43)}`, 'tokenex'), expect: { timeoutOf: 'getEntry' } },
  { name: 'replayMany (sync mode)', mode: 'sync', call: (w) => w.replayMany({ status: 'failed' }), expect: { timeoutOf: 'listEntries' } },
  { name: 'replayMany (inbox mode)', mode: 'inbox', call: (w) => w.replayMany({ status: 'dead', provider: 'tokenex' }), expect: { timeoutOf: 'listEntries' } },
  { name: 'prune', mode: 'sync', call: (w) => w.prune(), expect: { timeoutOf: 'prune' } },
  { name: 'listDeadLetters', mode: 'inbox', call: (w) => inbox(w).listDeadLetters(), expect: { timeoutOf: 'listEntries' } },
  {
    name: 'processInbox', mode: 'inbox', call: (w) => inbox(w).processInbox(),
    expect: { resolves: (ran) => assert.equal(ran, 0, 'nothing could be leased') },
  },
  {
    name: 'health', mode: 'sync', call: (w) => w.health(),
    expect: {
      resolves: (report) => {
        const { ok, storage } = report as HealthReport;
        assert.equal(ok, false);
        assert.equal(storage.ok, false);
        assert.match(storage.error ?? '', new RegExp(`did not answer within ${STORAGE_TIMEOUT_MS} ms`));
      },
    },
  },
];

/** Call `method` and check it settled, within the bound, as the receiver's own deadline makes it. */
async function settlesByTheReceiversDeadline(method: Method, webhooks: Webhooks): Promise<void> {
  const outcome = await within(method.call(webhooks), BOUND_MS);
  assert.ok(outcome.settled, `${method.name}() still pending after ${BOUND_MS} ms, with storageTimeoutMs ${STORAGE_TIMEOUT_MS} ms`);
  if ('timeoutOf' in method.expect) {
    assert.ok(outcome.error instanceof StorageError, `${method.name}() rejects with a StorageError, got ${String(outcome.error ?? outcome.value)}`);
    assert.equal(outcome.error.code, 'ERR_NTW_STORAGE_TIMEOUT');
    assert.equal(outcome.error.operation, method.expect.timeoutOf);
    assert.match(outcome.error.message, new RegExp(`did not answer within ${STORAGE_TIMEOUT_MS} ms`));
  } else {
    assert.equal(outcome.error, undefined, `${method.name}() resolves`);
    method.expect.resolves(outcome.value);
  }
}

/**
 * A `MemoryStorage` whose calls, once `silence()`d, never answer: a database gone silent, seen from the process.
 * `init` (which memory has none of) is added, so that a receiver whose storage is silent from the start never initializes.
 */
function silentStorage(): { storage: Storage; silence(): void } {
  const memory = new MemoryStorage();
  let silent = false;
  const never = () => new Promise<never>(() => undefined);
  const storage = new Proxy(memory, {
    get(target, property, receiver) {
      if (property === 'init') return () => (silent ? never() : undefined);
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || property === 'describe') return value;
      return (...args: unknown[]) => (silent ? never() : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as unknown as Storage;
  return { storage, silence: () => { silent = true; } };
}

const options = (storage: Storage, mode: 'sync' | 'inbox') => ({
  storage, mode, storageTimeoutMs: STORAGE_TIMEOUT_MS, shutdownTimeoutMs: 500, inbox: { pollIntervalMs: false as const },
});

describe('every public call that reaches storage settles within storageTimeoutMs, whatever the adapter\'s own timeout', function () {
  this.timeout(BOUND_MS + 10_000);

  describe('an in-process adapter whose calls never answer', function () {
    for (const from of ['after ready()', 'from the start (its init never answers)'] as const) {
      describe(`silent ${from}`, function () {
        for (const method of METHODS) {
          it(method.name, async function () {
            const { storage, silence } = silentStorage();
            const { webhooks } = testReceiver(options(storage, method.mode));
            if (from === 'after ready()') await webhooks.ready();
            silence();
            try {
              await settlesByTheReceiversDeadline(method, webhooks);
            } finally {
              await webhooks.close();
            }
          });
        }
      });
    }
  });

  describe(`PostgreSQL through a proxy gone silent (the adapter's timeoutMs ${ADAPTER_TIMEOUT_MS} ms)`, function () {
    const schema = uniqueName('ntw_test_');
    const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
    after(async function () {
      if (service.available) await dropSchema(schema);
    });
    const target = new URL(DATABASE_URL);

    for (const from of ['after ready()', 'from the start'] as const) {
      describe(`silent ${from}`, function () {
        for (const method of METHODS) {
          it(method.name, async function () {
            const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
            await proxy.start();
            const storage = new PostgresStorage({ connectionString: proxy.url(DATABASE_URL), schema, timeoutMs: ADAPTER_TIMEOUT_MS });
            const { webhooks } = testReceiver(options(storage, method.mode));
            try {
              if (from === 'after ready()') await webhooks.ready();
              proxy.silence();
              await settlesByTheReceiversDeadline(method, webhooks);
            } finally {
              await webhooks.close();
              await proxy.stop(); // ends the silenced connections, which the adapter would otherwise wait on for its own timeout
            }
          });
        }
      });
    }
  });
});
