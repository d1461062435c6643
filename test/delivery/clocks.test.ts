import assert from 'node:assert/strict';
import type { Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { deliver, testReceiver } from '../helpers/app';
import { fixture } from '../helpers/fixtures';
import type { TestReceiver } from '../helpers/app';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';
import { post, tokenexBody } from './support';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** An instance whose own clock is `offsetMs` off the true time. */
const skewed = (offsetMs: number) => () => new Date(Date.now() + offsetMs);

/**
 * Instances whose clocks disagree, on one shared store: every time they compare (receipt, retention, "dated in
 * the future") comes from the store's clock, so each behaves as an instance with a correct clock would.
 */
for (const store of [
  {
    name: 'PostgreSQL', probe: probePostgres, hint: 'Start PostgreSQL on 127.0.0.1:5432.',
    shared: () => {
      const schema = uniqueName('ntw_clock_');
      return { make: (): Storage => new PostgresStorage({ connectionString: DATABASE_URL, schema }), cleanup: () => dropSchema(schema) };
    },
  },
  {
    name: 'Redis', probe: probeRedis, hint: 'Start Redis on 127.0.0.1:6379.',
    shared: () => {
      const keyPrefix = uniqueName('ntw-clock-');
      return { make: (): Storage => new RedisStorage({ url: REDIS_URL, keyPrefix: `${keyPrefix}:` }), cleanup: () => deleteKeys(keyPrefix).then(() => undefined) };
    },
  },
]) {
  describe(`delivery: instances whose clocks disagree, on ${store.name}`, function () {
    this.timeout(60_000);
    needsService(store.name, store.probe, store.hint);
    let shared: ReturnType<typeof store.shared>;
    const receivers: TestReceiver[] = [];
    const instance = (offsetMs: number, options: { retentionMs?: number } = {}) => {
      const receiver = testReceiver({ storage: shared.make(), now: skewed(offsetMs), ...options });
      receivers.push(receiver);
      return receiver;
    };
    beforeEach(() => { shared = store.shared(); });
    afterEach(async () => {
      await Promise.all(receivers.splice(0).map((r) => r.webhooks.close()));
      await shared.cleanup();
    });

    it('a suspension received by an instance 10 minutes behind is applied after an activation applied by a correct one (20 of 20)', async () => {
      const correct = instance(0);
      const behind = instance(-10 * MINUTE);
      const now = Date.now();
      for (let i = 0; i < 20; i++) {
        const tokenRef = `tok-behind-${i}`;
        assert.equal((await post(correct.app, 'tokenex', tokenexBody({ id: `act-${i}`, tokenRef, state: 'ACTIVE', at: now - MINUTE }))).status, 200);
        assert.equal((await post(behind.app, 'tokenex', tokenexBody({ id: `sus-${i}`, tokenRef, state: 'SUSPENDED', previous: 'ACTIVE', at: now }))).status, 200);
      }
      const states = await Promise.all(Array.from({ length: 20 }, (_, i) => correct.webhooks.getTokenState('tokenex', `tok-behind-${i}`)));
      assert.deepEqual(states.map((s) => s?.state), Array(20).fill('SUSPENDED'));
      assert.equal(behind.recorder.count('suspended'), 20, 'onSuspended fired for each');
      assert.equal(behind.recorder.calls.filter((c) => c.event.stale).length, 0, 'none was taken for stale');
    });

    it('an instance 10 minutes ahead clamps an event dated 8 minutes ahead as a correct one does: it cannot pin the state', async () => {
      const correct = instance(0);
      const ahead = instance(10 * MINUTE);
      const now = Date.now();
      const tokenRef = 'tok-ahead';
      await post(ahead.app, 'tokenex', tokenexBody({ id: 'future-sus', tokenRef, state: 'SUSPENDED', at: now + 8 * MINUTE }));
      const received = (await ahead.webhooks.listEvents({ tokenRef }))[0]!;
      assert.ok(received.occurredAt.getTime() < now + 2 * MINUTE, `dated ${received.occurredAt.toISOString()}: its future date was kept`);
      assert.ok(Math.abs(received.receivedAt.getTime() - now) < 2 * MINUTE, 'received at the store\'s time, not the instance\'s');
      await post(correct.app, 'tokenex', tokenexBody({ id: 'later-act', tokenRef, state: 'ACTIVE', at: now + MINUTE }));
      assert.equal((await correct.webhooks.getTokenState('tokenex', tokenRef))?.state, 'ACTIVE');
    });

    it('an instance 8 days ahead prunes nothing another just finished: redeliveries stay duplicates (20 of 20)', async () => {
      const correct = instance(0);
      const ahead = instance(8 * DAY);
      const bodies = Array.from({ length: 20 }, (_, i) => tokenexBody({ id: `ahead-prune-${i}`, tokenRef: `tok-ap-${i}` }));
      for (const body of bodies) assert.equal((await post(correct.app, 'tokenex', body)).status, 200);
      assert.deepEqual(await ahead.webhooks.prune(), { entries: 0 });
      const again = await Promise.all(bodies.map((body) => post(correct.app, 'tokenex', body)));
      assert.deepEqual(again.map((r) => (r.body as { duplicate?: boolean }).duplicate), Array(20).fill(true));
      assert.equal(correct.recorder.count('event'), 20, 'each ran once');
    });

    it('what an instance 10 days behind records is not pruned by a correct one (20 of 20 kept)', async () => {
      const correct = instance(0);
      const behind = instance(-10 * DAY);
      const bodies = Array.from({ length: 20 }, (_, i) => tokenexBody({ id: `behind-prune-${i}`, tokenRef: `tok-bp-${i}` }));
      for (const body of bodies) assert.equal((await post(behind.app, 'tokenex', body)).status, 200);
      assert.deepEqual(await correct.webhooks.prune(), { entries: 0 });
      const again = await Promise.all(bodies.map((body) => post(correct.app, 'tokenex', body)));
      assert.deepEqual(again.map((r) => (r.body as { duplicate?: boolean }).duplicate), Array(20).fill(true));
      assert.equal(behind.recorder.count('event') + correct.recorder.count('event'), 20, 'each ran once');
    });

    it('a Cybersource delivery signed now is accepted by an instance 10 minutes behind (its signature window judged by the store\'s clock)', async function () {
      const behind = instance(-10 * MINUTE);
      await behind.webhooks.ready();
      const answer = await deliver(behind.app, 'cybersource', fixture('cybersource', 'network-token-suspended').text);
      assert.equal(answer.status, 200);
      assert.equal(behind.recorder.count('suspended'), 1);
    });

    it('an instance far off the store\'s clock is reported once (ERR_NTW_CLOCK_SKEW), and runs on the store\'s clock', async () => {
      const behind = instance(-10 * MINUTE);
      const reported: string[] = [];
      behind.webhooks.onError((error) => { reported.push((error as { code?: string }).code ?? ''); });
      await behind.webhooks.ready();
      assert.deepEqual(reported, ['ERR_NTW_CLOCK_SKEW']);
    });
  });
}

describe('delivery: a signature window is judged by the clock the instance uses', () => {
  it('control, with a store of one machine: an instance 10 minutes behind judges by its own clock, and refuses a delivery signed now', async () => {
    const behind = testReceiver({ now: skewed(-10 * MINUTE) });
    const answer = await deliver(behind.app, 'cybersource', fixture('cybersource', 'network-token-suspended').text);
    assert.equal(answer.status, 401);
    await behind.webhooks.close();
  });
});
