import assert from 'node:assert/strict';
import { MemoryStorage, createTokenWebhooks } from '../../lib';
import type { HandlerContext } from '../../lib';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { Latch, eventually, post, tokenexBody } from './support';

// Short, so that the test waits little for it; nothing below depends on how long it really took.
const HANDLER_TIMEOUT_MS = 50;

/** A handler that never settles for the ids in `hung` (until the test lets it go), and completes for the others. */
function handlers(hung: Set<string>) {
  const release = new Latch();
  const ran: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const handler = async (event: { id: string }, context: HandlerContext) => {
    ran.push(event.id);
    signals.set(event.id, context.signal);
    if (hung.has(event.id)) await release.promise;
  };
  return { handler, ran, signals, release };
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

describe('delivery: handlers that never settle', () => {
  it('inbox: four hung handlers take every slot until handlerTimeoutMs; then their runs fail, the slots free, the fifth event runs, health() says stalled', async () => {
    const storage = new MemoryStorage();
    const { app, webhooks } = testReceiver({
      storage, mode: 'inbox', handlerTimeoutMs: HANDLER_TIMEOUT_MS,
      // A long backoff: the hung events are not run again (and abandoned again) while the test looks.
      inbox: { concurrency: 4, pollIntervalMs: 10, backoffBaseMs: 600_000 },
    });
    const hung = new Set(['evt-hung-1', 'evt-hung-2', 'evt-hung-3', 'evt-hung-4']);
    const h = handlers(hung);
    webhooks.onEvent(h.handler);
    const errors: { code: string | undefined; eventId: string | undefined }[] = [];
    webhooks.onError((error, context) => { errors.push({ code: codeOf(error), eventId: context.eventId }); });
    try {
      for (const id of hung) assert.equal((await post(app, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }))).status, 200);
      await eventually(() => h.ran.length === 4, 5000, 'the four hung handlers to start');
      assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'evt-fifth', tokenRef: 'tok-fifth' }))).status, 200);

      await eventually(() => h.ran.includes('evt-fifth'), 5000, 'the fifth event to run');
      await eventually(() => storage.getEntry({ provider: 'tokenex', id: 'evt-fifth' })?.status === 'done', 5000, 'the fifth event to be done');
      await eventually(() => [...hung].every((id) => storage.getEntry({ provider: 'tokenex', id })?.status === 'failed'), 5000, 'the hung runs to fail');
      for (const id of hung) {
        const entry = storage.getEntry({ provider: 'tokenex', id });
        assert.equal(entry?.status, 'failed', `${id} counts as failed`);
        assert.match(entry?.lastError ?? '', /ran past handlerTimeoutMs \(50 ms\)/);
        assert.equal(h.signals.get(id)?.aborted, true, `${id}'s handler was told`);
        assert.equal(codeOf(h.signals.get(id)?.reason), 'ERR_NTW_HANDLER_TIMEOUT');
      }
      assert.deepEqual(errors.filter((e) => e.code === 'ERR_NTW_HANDLER_TIMEOUT').map((e) => e.eventId).sort(), [...hung].sort());
      assert.equal(h.signals.get('evt-fifth')?.aborted, false);

      const stalled = await webhooks.health();
      assert.deepEqual(stalled.runs, { running: 0, abandoned: 4, stalled: true });
      assert.equal(stalled.ok, false);
    } finally {
      h.release.open();
    }
    // Once the abandoned handlers return, the process is no longer stalled.
    await eventually(async () => (await webhooks.health()).runs.abandoned === 0, 5000, 'the abandoned handlers to be counted out');
    const healthy = await webhooks.health();
    assert.equal(healthy.ok, true);
    assert.equal(healthy.runs.stalled, false);
    assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-hung-1' })?.status, 'failed', 'a late return does not settle the abandoned run');
    await webhooks.close();
  });

  it('sync: a hung handler no longer keeps its lease forever: past handlerTimeoutMs the run fails, renewal stops, and the provider\'s retry runs it', async () => {
    const { schedule, renewals } = manualSchedule();
    const storage = new MemoryStorage();
    const { app, webhooks } = testReceiver({ storage, deadlineMs: 20, handlerTimeoutMs: HANDLER_TIMEOUT_MS, renewalSchedule: schedule });
    const hung = new Set(['evt-sync-hung']);
    const h = handlers(hung);
    webhooks.onEvent(async (event, context) => {
      const run = h.handler(event, context);
      hung.clear(); // only the first run hangs
      await run;
    });
    const errors: unknown[] = [];
    webhooks.onError((error) => { errors.push(error); });
    const body = tokenexBody({ id: 'evt-sync-hung' });
    try {
      const first = await post(app, 'tokenex', body);
      assert.equal(first.status, 503, 'answered retry-later at deadlineMs, the handler still running');
      assert.equal((first.body as { error: { code: string } }).error.code, 'timeout');

      const statuses: number[] = [];
      await eventually(async () => {
        statuses.push((await post(app, 'tokenex', body)).status);
        return statuses.at(-1) === 200;
      }, 5000, 'a retry to be processed');
      assert.equal(h.ran.length, 2, 'the retry ran the handlers again');
      assert.equal(renewals[0]!.cancelled, true, 'the hung run\'s lease is no longer renewed');
      assert.equal(h.signals.get('evt-sync-hung')?.aborted, false, 'the second run was not aborted');
      assert.ok(errors.some((e) => codeOf(e) === 'ERR_NTW_HANDLER_TIMEOUT'));
      assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-sync-hung' })?.status, 'done');
      assert.equal((await webhooks.health()).runs.abandoned, 1);
    } finally {
      h.release.open();
    }
  });

  it('refuses a handlerTimeoutMs that is not a positive number of ms a timer can keep', () => {
    for (const handlerTimeoutMs of [0, -1, Number.NaN, 2 ** 31]) {
      assert.throws(() => createTokenWebhooks({ handlerTimeoutMs }), (error: unknown) => codeOf(error) === 'ERR_NTW_OPTION');
    }
  });
});
