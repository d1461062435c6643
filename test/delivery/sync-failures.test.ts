import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import { deliver, testReceiver } from '../helpers/app';
import { fixture } from '../helpers/fixtures';
import { tokenexBody } from './support';

describe('delivery: failures are visible and replayable in sync mode', () => {
  it('an event whose handlers keep failing is listed with its outcome, and replay() runs it again now', async () => {
    const storage = new MemoryStorage();
    const { app, webhooks, recorder } = testReceiver({ storage });
    let fail = true;
    webhooks.onSuspended(() => { if (fail) throw new Error('crm down'); });
    const body = tokenexBody({ id: 'evt-sync-failing', state: 'SUSPENDED' });
    for (let i = 0; i < 3; i++) assert.equal((await deliver(app, 'tokenex', body)).status, 500);

    const [failed] = await webhooks.listEvents({ status: 'failed' });
    assert.ok(failed, 'the failed event is listed');
    assert.deepEqual({ id: failed.id, status: failed.status, attempts: failed.attempts, lastError: failed.lastError },
      { id: 'evt-sync-failing', status: 'failed', attempts: 3, lastError: 'crm down' });
    assert.equal(recorder.count('suspended'), 3);

    fail = false;
    assert.equal(await webhooks.replay('evt-sync-failing'), 1);
    assert.equal(recorder.count('suspended'), 4, 'the replay ran the state handler: the event still set the state');
    const [done] = await webhooks.listEvents({ provider: 'tokenex' });
    assert.deepEqual([done!.status, done!.attempts], ['done', 1]);
    assert.equal((await deliver(app, 'tokenex', body)).body.duplicate, true, 'the provider\'s next retry is a duplicate');
    assert.equal(await webhooks.replay('no-such-event'), 0);
  });

  it('a done event can be replayed too: its handlers run again, flagged as what it did to the state', async () => {
    const { app, webhooks, recorder } = testReceiver();
    await deliver(app, 'cybersource', fixture('cybersource', 'network-token-suspended').text).expect(200);
    assert.equal(await webhooks.replay('3904B9E29F574360xxxxAF598E0AB766', 'cybersource'), 1);
    assert.equal(recorder.count('suspended'), 2);
    assert.equal(recorder.last('event').repeated, false);
  });
});
