import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import type { HandlerContext } from '../../lib';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { Latch, post, tokenexBody } from './support';

const LEASE = 3000;
/** The longest storage call a 3 s lease allows room for (a renewal and its retry). */
const STORAGE_TIMEOUT_MS = 1000;
const T0 = Date.UTC(2025, 0, 1);

/** One clock, moved by hand, for the storage (claim leases) and the webhooks (inbox leases). */
function clock() {
  let t = T0;
  return { ms: () => t, now: () => new Date(t), set: (offset: number) => { t = T0 + offset; } };
}

/** A handler that blocks until the test opens `gate`; counts its runs. */
function slowHandler() {
  const gate = new Latch();
  const entered = new Latch();
  const counter = { runs: 0, signal: undefined as AbortSignal | undefined };
  const handler = async (_event: unknown, context: HandlerContext) => { counter.runs++; counter.signal = context.signal; entered.open(); await gate.promise; };
  return { gate, entered, counter, handler };
}

describe('delivery: lease renewal while handlers run', () => {
  describe('sync mode', () => {
    it('a handler that runs longer than leaseMs keeps its claim: a copy on another instance gets 409, not a second run', async () => {
      const time = clock();
      const storage = new MemoryStorage({ now: time.ms });
      const { schedule, renewals } = manualSchedule();
      const a = testReceiver({ storage, leaseMs: LEASE, storageTimeoutMs: STORAGE_TIMEOUT_MS, renewalSchedule: schedule });
      const b = testReceiver({ storage, leaseMs: LEASE, storageTimeoutMs: STORAGE_TIMEOUT_MS });
      const slow = slowHandler();
      a.webhooks.onEvent(slow.handler);
      b.webhooks.onEvent(slow.handler);
      const errors: unknown[] = [];
      a.webhooks.onError((e) => { errors.push(e); });

      const body = tokenexBody({ id: 'evt-renewed-claim' });
      const first = post(a.app, 'tokenex', body).then((res) => res);
      await slow.entered.promise;
      assert.equal(renewals.length, 1);
      assert.equal(renewals[0]!.intervalMs, LEASE / 3);

      time.set(LEASE - 500);
      await renewals[0]!.beat(); // lease now ends at 2 × LEASE − 500
      time.set(LEASE + 1000); // past the original lease end
      const copy = await post(b.app, 'tokenex', body);
      assert.equal(copy.status, 409);
      assert.equal((copy.body as { error: { code: string } }).error.code, 'in_progress');

      slow.gate.open();
      assert.equal((await first).status, 200);
      assert.equal(slow.counter.runs, 1);
      assert.equal(renewals[0]!.cancelled, true, 'renewal stops once the work settled');
      assert.deepEqual(errors, []);
      assert.equal((await post(b.app, 'tokenex', body)).body.duplicate, true);
    });

    it('a lost claim is reported to onError once (ERR_NTW_LEASE_LOST), renewal stops, the signal aborts, and the handler still finishes', async () => {
      const time = clock();
      class LosingStorage extends MemoryStorage {
        override extend(): boolean { return false; }
      }
      const { schedule, renewals } = manualSchedule();
      const a = testReceiver({ storage: new LosingStorage({ now: time.ms }), leaseMs: LEASE, storageTimeoutMs: STORAGE_TIMEOUT_MS, renewalSchedule: schedule });
      const slow = slowHandler();
      a.webhooks.onEvent(slow.handler);
      const errors: unknown[] = [];
      a.webhooks.onError((e, context) => { errors.push([(e as Error).message, context.eventId, (e as { code?: string }).code]); });

      const first = post(a.app, 'tokenex', tokenexBody({ id: 'evt-lost-claim' })).then((res) => res);
      await slow.entered.promise;
      assert.equal(slow.counter.signal?.aborted, false);
      await renewals[0]!.beat();
      await renewals[0]!.beat();
      assert.equal(renewals[0]!.cancelled, true);
      assert.equal(errors.length, 1);
      const [message, eventId, code] = errors[0] as [string, string, string];
      assert.match(message, /lease of tokenex evt-lost-claim was lost while its handlers ran: the storage answered that it no longer holds it/);
      assert.equal(eventId, 'evt-lost-claim');
      assert.equal(code, 'ERR_NTW_LEASE_LOST');
      assert.equal(slow.counter.signal?.aborted, true, 'the handlers were told');
      assert.equal((slow.counter.signal?.reason as { code?: string }).code, 'ERR_NTW_LEASE_LOST');
      slow.gate.open();
      assert.equal((await first).status, 200);
      assert.equal(slow.counter.runs, 1);
    });
  });

  describe('inbox mode', () => {
    const inboxOptions = { pollIntervalMs: false as const, random: () => 0.5 };

    for (const renewed of [true, false]) {
      it(renewed
        ? 'a handler that runs longer than inbox.leaseMs keeps its lease: a second worker does not lease the entry'
        : 'control: without a renewal, a second worker leases the entry once the lease ran out', async () => {
        const time = clock();
        const storage = new MemoryStorage({ now: time.ms });
        const { schedule, renewals } = manualSchedule();
        // One at a time on `a`, so that it does not lease the entry again itself once the clock moves.
        const a = testReceiver({ storage, mode: 'inbox', now: time.now, leaseMs: LEASE, storageTimeoutMs: STORAGE_TIMEOUT_MS, renewalSchedule: schedule, inbox: { ...inboxOptions, concurrency: 1 } });
        const b = testReceiver({ storage, mode: 'inbox', now: time.now, leaseMs: LEASE, storageTimeoutMs: STORAGE_TIMEOUT_MS, inbox: inboxOptions });
        const slow = slowHandler();
        a.webhooks.onEvent(slow.handler);
        let secondRuns = 0;
        b.webhooks.onEvent(() => { secondRuns++; });

        assert.equal((await post(a.app, 'tokenex', tokenexBody({ id: 'evt-renewed-inbox' }))).status, 200);
        const running = a.webhooks.processInbox();
        await slow.entered.promise;
        assert.equal(renewals.length, 1);
        assert.equal(renewals[0]!.intervalMs, LEASE / 3);

        time.set(LEASE - 500);
        if (renewed) await renewals[0]!.beat();
        time.set(LEASE + 1000); // past the original lease end
        assert.equal(await b.webhooks.processInbox(), renewed ? 0 : 1);
        assert.equal(secondRuns, renewed ? 0 : 1);

        slow.gate.open();
        assert.equal(await running, 1);
        assert.equal(renewals[0]!.cancelled, true);
        assert.equal(slow.counter.runs, 1);
        assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-renewed-inbox' })?.status, 'done');
      });
    }
  });
});
