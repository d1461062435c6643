import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import type { TokenEvent } from '../../lib';
import { HandlerRegistry } from '../../lib/ledger/handlers';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { post, tokenexBody } from '../delivery/support';

const event = { type: 'token.updated', changes: [], stale: false, repeated: false } as unknown as TokenEvent;
const context = { signal: new AbortController().signal, attempt: 1 };

describe('ledger: work that answers at once', () => {
  describe('the handlers of an event', () => {
    it('that return without a promise leave nothing to wait for', () => {
      const registry = new HandlerRegistry();
      let ran = 0;
      registry.add('event', () => { ran++; });
      registry.add('updated', () => { ran++; });
      assert.equal(registry.run({ ...event, changes: ['status'] } as unknown as TokenEvent, context), undefined);
      assert.equal(ran, 2);
    });

    it('one that throws at once: the error thrown at once, the others still run', () => {
      const registry = new HandlerRegistry();
      const failure = new Error('one');
      registry.add('event', () => { throw failure; });
      assert.throws(() => registry.run(event, context), (error: unknown) => error === failure);
      let ran = false;
      registry.add('event', () => { ran = true; });
      assert.throws(() => registry.run(event, context), (error: unknown) => error instanceof AggregateError === false && error === failure);
      assert.equal(ran, true);
    });

    it('a promise among them: a promise of all, its failures gathered in the handlers\' order', async () => {
      const registry = new HandlerRegistry();
      const first = new Error('first, thrown at once');
      const second = new Error('second, rejected later');
      registry.add('event', () => { throw first; });
      registry.add('event', async () => { throw second; });
      const pending = registry.run(event, context);
      assert.ok(pending instanceof Promise);
      await assert.rejects(pending, (error: unknown) => error instanceof AggregateError && error.errors[0] === first && error.errors[1] === second);
    });
  });

  describe('a delivery on MemoryStorage', () => {
    it('whose handler returns at once: run once, answered, no lease renewal scheduled', async () => {
      const { schedule, renewals } = manualSchedule();
      const { app, webhooks } = testReceiver({ storage: new MemoryStorage(), renewalSchedule: schedule });
      let runs = 0;
      webhooks.onEvent(() => { runs++; });
      const body = tokenexBody({ id: 'evt-at-once', tokenRef: 'tok-at-once' });
      assert.equal((await post(app, 'tokenex', body)).status, 200);
      assert.equal((await post(app, 'tokenex', body)).status, 200);
      assert.equal(runs, 1);
      assert.equal(renewals.length, 0, 'nothing could run meanwhile: no lease to renew');
      assert.equal((await webhooks.listEvents({ provider: 'tokenex' })).find((e) => e.id === 'evt-at-once')?.status, 'done');
      await webhooks.close();
    });

    it('whose handler returns a promise: its lease renewed while it runs, as before', async () => {
      const { schedule, renewals } = manualSchedule();
      const { app, webhooks } = testReceiver({ storage: new MemoryStorage(), renewalSchedule: schedule });
      webhooks.onEvent(async () => { await new Promise((resolve) => setImmediate(resolve)); });
      assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'evt-later', tokenRef: 'tok-later' }))).status, 200);
      assert.equal(renewals.length, 1);
      assert.equal(renewals[0]!.cancelled, true, 'stopped once the handler settled');
      await webhooks.close();
    });
  });
});
