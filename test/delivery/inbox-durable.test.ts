import assert from 'node:assert/strict';
import express from 'express';
import { createTokenWebhooks } from '../../lib';
import type { Storage, TokenWebhooks, TokenWebhooksOptions } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';
import { BEARER } from '../helpers/app';
import { eventually, post, tokenexBody } from './support';

function receiver(storage: Storage, options: Omit<TokenWebhooksOptions, 'mode'> = {}) {
  const webhooks = createTokenWebhooks({ storage, pruneIntervalMs: false, ...options, mode: 'inbox' });
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  return { webhooks, app };
}

function durableInboxSuite(name: string, makeStorage: () => Storage): void {
  const opened: TokenWebhooks[] = [];
  afterEach(async () => { for (const w of opened.splice(0)) await w.close(); });

  it(`${name}: pending events survive a restart and resume by themselves`, async () => {
    const first = receiver(makeStorage(), { inbox: { pollIntervalMs: false } });
    opened.push(first.webhooks);
    first.webhooks.onEvent(() => assert.fail('nothing runs before the restart'));
    const ids = ['evt-restart-a', 'evt-restart-b', 'evt-restart-c'].map((id) => `${id}-${Date.now()}`);
    for (const id of ids) assert.equal((await post(first.app, 'tokenex', tokenexBody({ id }))).status, 200);
    await first.webhooks.close(); // "restart": nothing ran

    const seen: string[] = [];
    const second = receiver(makeStorage(), { inbox: { pollIntervalMs: 25 } });
    opened.push(second.webhooks);
    second.webhooks.onEvent((e) => { seen.push(e.id); });
    await eventually(() => seen.length >= ids.length, 10_000, 'the pending events to run after the restart');
    assert.deepEqual([...seen].sort(), [...ids].sort());
  });

  it(`${name}: dead letter after maxAttempts, listed; replay() then succeeds`, async () => {
    const { webhooks, app } = receiver(makeStorage(), { inbox: { pollIntervalMs: false, maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 2 } });
    opened.push(webhooks);
    let fail = true;
    let runs = 0;
    webhooks.onEvent(() => { runs++; if (fail) throw new Error('downstream down'); });
    const id = `evt-dead-${Date.now()}`;
    assert.equal((await post(app, 'tokenex', tokenexBody({ id }))).status, 200);
    await eventually(async () => {
      await webhooks.processInbox();
      return (await webhooks.listDeadLetters()).some((e) => e.id === id);
    }, 10_000, 'the event to become a dead letter');
    assert.equal(runs, 3);
    const dead = (await webhooks.listDeadLetters()).find((e) => e.id === id)!;
    assert.equal(dead.attempts, 3);
    assert.match(dead.lastError ?? '', /downstream down/);

    fail = false;
    assert.equal(await webhooks.replay(id, 'tokenex'), 1);
    assert.equal(await webhooks.processInbox(), 1);
    assert.equal(runs, 4);
    assert.ok(!(await webhooks.listDeadLetters()).some((e) => e.id === id));
    assert.equal(await webhooks.processInbox(), 0);
  });

  it(`${name}: two instances share the work, each event run once`, async () => {
    const a = receiver(makeStorage(), { inbox: { pollIntervalMs: 10, concurrency: 4 } });
    const b = receiver(makeStorage(), { inbox: { pollIntervalMs: 10, concurrency: 4 } });
    opened.push(a.webhooks, b.webhooks);
    const runs = new Map<string, number>();
    for (const { webhooks } of [a, b]) webhooks.onEvent((e) => { runs.set(e.id, (runs.get(e.id) ?? 0) + 1); });
    const ids = Array.from({ length: 40 }, (_, i) => `evt-shared-${Date.now()}-${i}`);
    await Promise.all(ids.map((id, i) => post(i % 2 ? a.app : b.app, 'tokenex', tokenexBody({ id, tokenRef: `tok-shared-${i % 5}` })).expect(200)));
    await eventually(() => ids.every((id) => runs.has(id)), 10_000, 'every event to run');
    assert.ok(ids.every((id) => runs.get(id) === 1), 'an event ran twice');
  });
}

describe('delivery: inbox mode on shared storage', function () {
  this.timeout(30_000);
  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schema = uniqueName('ntw_inbox_e2e_');
    after(() => dropSchema(schema).catch(() => undefined));
    durableInboxSuite('PostgreSQL', () => new PostgresStorage({ connectionString: DATABASE_URL, schema }));
  });
  describe('Redis', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    const prefix = uniqueName('ntw-inbox-e2e:');
    after(() => deleteKeys(prefix).then(() => undefined, () => undefined));
    durableInboxSuite('Redis', () => new RedisStorage({ url: REDIS_URL, keyPrefix: prefix }));
  });
});
