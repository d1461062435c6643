import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import { testReceiver } from '../helpers/app';
import { Latch, closeWhileHeld, instrumented, post, tokenexBody, turns } from './support';

/** The storage call at `settled` (a completion) came before the storage's `close`. */
function storedBeforeClose(calls: readonly string[], settled: number): void {
  assert.ok(settled !== -1 && settled < calls.indexOf('close'), `completion stored before the storage closed: ${calls.join(', ')}`);
}

/** A memory storage that can be closed, recording the storage calls that completed, in order. */
function recordedStorage(before?: (method: string) => Promise<void>) {
  const calls: string[] = [];
  const memory = Object.assign(new MemoryStorage(), { close: () => undefined });
  const storage = instrumented(memory, { ...(before ? { before } : {}), after: (method) => { calls.push(method); } });
  return { calls, memory, storage };
}

describe('delivery: graceful shutdown', () => {
  it('close() answers new deliveries shutting_down, waits for running handlers, then closes the storage', async () => {
    const { calls, storage } = recordedStorage();
    const { app, webhooks } = testReceiver({ storage });
    const gate = new Latch();
    const entered = new Latch();
    webhooks.onEvent(async () => { entered.open(); await gate.promise; });

    const running = post(app, 'tokenex', tokenexBody({ id: 'evt-running' })).then((res) => res);
    await entered.promise;
    let closed = false;
    const closing = webhooks.close().then(() => { closed = true; });

    const refused = await post(app, 'tokenex', tokenexBody({ id: 'evt-new' }));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '5');
    assert.equal((refused.body as { error: { code: string } }).error.code, 'shutting_down');
    await turns(20);
    assert.equal(closed, false, 'close() resolved while a handler was running');

    gate.open();
    await closing;
    const done = await running;
    assert.equal(done.status, 200);
    assert.ok(calls.includes('settle'), 'the running event completed before close() resolved');
    assert.ok(calls.indexOf('settle') < calls.indexOf('close'), 'storage closed before the running event completed');
  });

  it('close() in inbox mode waits for an entry whose lease was in flight, and runs it before the storage closes', async () => {
    const leasing = new Latch();
    const gate = new Latch();
    const { calls, storage } = recordedStorage(async (method) => {
      if (method === 'settle' || method === 'settleMany') await turns(50); // a completion that takes a while to store
      if ((method !== 'lease' && method !== 'leaseMany') || gate.opened) return;
      leasing.open();
      await gate.promise;
    });
    const { app, webhooks } = testReceiver({ storage, mode: 'inbox', inbox: { pollIntervalMs: false } });
    const seen: string[] = [];
    webhooks.onEvent((e) => { seen.push(e.id); });
    assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'evt-leasing' }))).status, 200);

    const processing = webhooks.processInbox();
    await leasing.promise;
    await closeWhileHeld(webhooks, gate, 'a lease was in flight');
    assert.deepEqual(seen, ['evt-leasing'], 'the leased entry ran before close() resolved');
    storedBeforeClose(calls, calls.indexOf('settleMany'));
    await processing;
  });

  it('close() waits for a replay that is running, and stores its completion before the storage closes', async () => {
    const { calls, memory, storage } = recordedStorage();
    const { app, webhooks } = testReceiver({ storage });
    const gate = new Latch();
    const entered = new Latch();
    let runs = 0;
    webhooks.onEvent(async () => {
      if (++runs === 1) return;
      entered.open();
      await gate.promise;
    });
    assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'evt-replayed' }))).status, 200);

    const replaying = webhooks.replay('evt-replayed', 'tokenex');
    await entered.promise;
    await closeWhileHeld(webhooks, gate, 'a replay was running');
    assert.equal(await replaying, 1);
    storedBeforeClose(calls, calls.lastIndexOf('settle'));
    assert.equal(memory.getEntry({ provider: 'tokenex', id: 'evt-replayed' })?.status, 'done');
  });

  it('close() gives up waiting after shutdownTimeoutMs and still closes the storage', async () => {
    let storageClosed = false;
    const memory = Object.assign(new MemoryStorage(), { close: () => { storageClosed = true; } });
    const { app, webhooks } = testReceiver({ storage: memory, shutdownTimeoutMs: 30 });
    const entered = new Latch();
    webhooks.onEvent(async () => { entered.open(); await new Latch().promise; }); // never returns
    void post(app, 'tokenex', tokenexBody({ id: 'evt-stuck' })).then(() => undefined, () => undefined);
    await entered.promise;
    await webhooks.close();
    assert.equal(storageClosed, true);
  });

  it('close() resolves within shutdownTimeoutMs when the storage neither initializes nor closes (a silent database)', async () => {
    const never = new Latch();
    const memory = Object.assign(new MemoryStorage(), { init: () => never.promise, close: () => never.promise });
    const { webhooks } = testReceiver({ storage: memory, shutdownTimeoutMs: 30 });
    void webhooks.ready().catch(() => undefined); // connecting, forever
    await webhooks.close(); // resolves: the test would time out otherwise
  });
});
