import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import { testReceiver } from '../helpers/app';
import { Latch, instrumented, post, tokenexBody } from './support';

/** A storage that tells when a run was settled done (`complete`) or failed (`release`: the next copy may take it). */
function observed() {
  const settled = { complete: new Latch(), release: new Latch() };
  const storage = instrumented(new MemoryStorage(), {
    after: (method, args) => {
      if (method !== 'settle') return;
      settled[(args[2] as { status: string }).status === 'done' ? 'complete' : 'release'].open();
    },
  });
  return { storage, settled };
}

describe('delivery: deadline', () => {
  it('a handler past the deadline: 503 timeout + Retry-After; a redelivery meanwhile is in_progress; the late success completes the claim', async () => {
    const { storage, settled } = observed();
    const { app, webhooks } = testReceiver({ storage, deadlineMs: 30 });
    const gate = new Latch();
    let runs = 0;
    webhooks.onEvent(async () => { runs++; await gate.promise; });
    const body = tokenexBody({ id: 'evt-late-success' });

    const late = await post(app, 'tokenex', body);
    assert.equal(late.status, 503);
    assert.equal(late.headers['retry-after'], '5');
    assert.equal((late.body as { error: { code: string } }).error.code, 'timeout');

    const meanwhile = await post(app, 'tokenex', body); // same process: waits for the outcome up to the deadline
    assert.equal(meanwhile.status, 409);
    assert.equal((meanwhile.body as { error: { code: string } }).error.code, 'in_progress');

    gate.open();
    await settled.complete.promise;
    const after = await post(app, 'tokenex', body);
    assert.equal(after.status, 200);
    assert.equal((after.body as { duplicate: boolean }).duplicate, true);
    assert.equal(runs, 1);
  });

  it('a handler that fails after the deadline releases the claim, and the next delivery runs it again', async () => {
    const { storage, settled } = observed();
    const { app, webhooks } = testReceiver({ storage, deadlineMs: 30 });
    const gate = new Latch();
    let runs = 0;
    const errors: unknown[] = [];
    webhooks.onEvent(async () => {
      runs++;
      if (runs === 1) { await gate.promise; throw new Error('late failure'); }
    }).onError((error) => { errors.push(error); });
    const body = tokenexBody({ id: 'evt-late-failure' });

    assert.equal((await post(app, 'tokenex', body)).status, 503);
    gate.open();
    await settled.release.promise;
    assert.equal((errors[0] as Error).message, 'late failure');
    const retried = await post(app, 'tokenex', body);
    assert.equal(retried.status, 200);
    assert.equal((retried.body as { duplicate: boolean }).duplicate, false);
    assert.equal(runs, 2);
  });

  it('a claim held by a timed-out delivery on another instance answers in_progress until the late outcome lands', async () => {
    const { storage, settled } = observed();
    const a = testReceiver({ storage, deadlineMs: 30 });
    const b = testReceiver({ storage });
    const gate = new Latch();
    a.webhooks.onEvent(async () => { await gate.promise; });
    let runsOnB = 0;
    b.webhooks.onEvent(() => { runsOnB++; });
    const body = tokenexBody({ id: 'evt-late-other' });
    assert.equal((await post(a.app, 'tokenex', body)).status, 503);
    assert.equal((await post(b.app, 'tokenex', body)).status, 409);
    gate.open();
    await settled.complete.promise;
    const after = await post(b.app, 'tokenex', body);
    assert.equal((after.body as { duplicate: boolean }).duplicate, true);
    assert.equal(runsOnB, 0);
  });
});
