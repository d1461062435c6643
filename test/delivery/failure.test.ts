import assert from 'node:assert/strict';
import { MemoryStorage, StorageError } from '../../lib';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { Latch, instrumented, post, tokenexBody } from './support';

describe('delivery: storage failures release the claim', () => {
  // admit takes the entry (and applies its state); settle records the outcome.
  for (const method of ['admit', 'settle'] as const) {
    it(`${method}() fails once: 503 storage_unavailable + Retry-After, the next delivery runs the handlers and succeeds`, async () => {
      let failures = 1;
      const storage = instrumented(new MemoryStorage(), {
        before: (m) => { if (m === method && failures-- > 0) throw new Error(`${method} down`); },
      });
      const { app, webhooks } = testReceiver({ storage });
      let runs = 0;
      const errors: unknown[] = [];
      webhooks.onEvent(() => { runs++; }).onError((error) => { errors.push(error); });
      const body = tokenexBody({ id: `evt-storage-${method}` });

      const failed = await post(app, 'tokenex', body);
      assert.equal(failed.status, 503);
      assert.equal(failed.headers['retry-after'], '5');
      assert.equal((failed.body as { error: { code: string } }).error.code, 'storage_unavailable');
      assert.equal(errors.length, 1, 'reported once');
      const reported = errors[0] as StorageError;
      assert.ok(reported instanceof StorageError);
      assert.equal(reported.code, 'ERR_NTW_STORAGE_UNAVAILABLE');
      assert.equal(reported.operation, method);
      assert.equal((reported.cause as Error).message, `${method} down`, 'the adapter\'s error is the cause');

      const retried = await post(app, 'tokenex', body);
      assert.equal(retried.status, 200);
      assert.equal((retried.body as { duplicate: boolean }).duplicate, false);
      // settle() failing after the handlers ran means they run again: at least once, never acknowledged before durable.
      assert.equal(runs, method === 'settle' ? 2 : 1);
      const duplicate = await post(app, 'tokenex', body);
      assert.equal((duplicate.body as { duplicate: boolean }).duplicate, true);
    });
  }
});

describe('delivery: a storage call that never answers', () => {
  for (const method of ['admit', 'settle'] as const) {
    it(`${method}() silent: 503 storage_unavailable at storageTimeoutMs, reported once as ERR_NTW_STORAGE_TIMEOUT, nothing left in flight`, async () => {
      const silent = new Latch(); // never opened: the call neither answers nor fails
      let silenced = 1;
      const storage = instrumented(new MemoryStorage(), {
        before: async (m) => { if (m === method && silenced-- > 0) await silent.promise; },
      });
      const { app, webhooks } = testReceiver({ storage, storageTimeoutMs: 20 });
      let runs = 0;
      const errors: { error: unknown; eventId: string | undefined }[] = [];
      webhooks.onEvent(() => { runs++; }).onError((error, context) => { errors.push({ error, eventId: context.eventId }); });
      const body = tokenexBody({ id: `evt-silent-${method}` });

      const failed = await post(app, 'tokenex', body);
      assert.equal(failed.status, 503);
      assert.equal((failed.body as { error: { code: string } }).error.code, 'storage_unavailable');
      // settle 'done' timed out, then settle 'failed' answered: one report per storage call that failed.
      assert.equal(errors.length, 1);
      const reported = errors[0]!.error as StorageError;
      assert.ok(reported instanceof StorageError);
      assert.equal(reported.code, 'ERR_NTW_STORAGE_TIMEOUT');
      assert.equal(reported.operation, method);
      assert.equal(errors[0]!.eventId, `evt-silent-${method}`);

      // The in-process in-flight entry is gone: the provider's retry is processed, not answered in_progress.
      const retried = await post(app, 'tokenex', body);
      assert.equal(retried.status, 200);
      assert.equal(runs, method === 'settle' ? 2 : 1, 'a completion that could not be stored runs again; an admission that did not answer ran nothing');
    });
  }

  it('a lease renewal that never answers is reported (ERR_NTW_STORAGE_TIMEOUT, operation extend) and tried again while the lease lasts; the handler finishes', async () => {
    const silent = new Latch();
    const storage = instrumented(new MemoryStorage(), {
      before: async (m) => { if (m === 'extend') await silent.promise; },
    });
    const { schedule, renewals } = manualSchedule();
    const { app, webhooks } = testReceiver({ storage, storageTimeoutMs: 20, renewalSchedule: schedule });
    const gate = new Latch();
    const entered = new Latch();
    let signal: AbortSignal | undefined;
    webhooks.onEvent(async (_event, context) => { signal = context.signal; entered.open(); await gate.promise; });
    const errors: unknown[] = [];
    webhooks.onError((error) => { errors.push(error); });

    const first = post(app, 'tokenex', tokenexBody({ id: 'evt-silent-extend' })).then((res) => res);
    await entered.promise;
    await renewals[0]!.beat();
    assert.equal(renewals[0]!.cancelled, false, 'renewal goes on: the lease (30 s) is still valid');
    assert.equal(errors.length, 2, 'the renewal and its retry at once, each reported');
    for (const error of errors) {
      assert.equal((error as StorageError).code, 'ERR_NTW_STORAGE_TIMEOUT');
      assert.equal((error as StorageError).operation, 'extend');
    }
    assert.equal(signal?.aborted, false, 'the handlers are not told to stop');
    gate.open();
    assert.equal((await first).status, 200);
    assert.equal(renewals[0]!.cancelled, true, 'renewal stops once the outcome is stored');
  });
});
