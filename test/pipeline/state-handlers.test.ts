import { expect } from 'chai';
import { deliver, testReceiver } from '../helpers/app';
import { edited } from '../helpers/fixtures';
import { tokenexBody } from '../delivery/support';

const TOKEN = '2F1F09A14C7E3XXXX063AF598E0A5151';

/** The card-updated example, carrying `state` on its card link, with its own id and date. */
const cardUpdated = (id: string, state: string, date: string, reason = 'CARD_UPDATED') => edited('cybersource', 'network-token-card-updated', (p) => {
  p.payload.data.id = id;
  p.payload.data.reason = reason;
  p.payload.data._links['tokenized-cards'][0].state = state;
  p.eventDate = date;
});

describe('state handlers fire when the token\'s state changes, whatever event carries the change', () => {
  it('a CARD_UPDATED saying SUSPENDED fires onSuspended (and onUpdated); a TOKEN_EXPIRY_UPDATED saying DELETED fires onDeleted', async () => {
    const { app, recorder, webhooks } = testReceiver();
    await deliver(app, 'cybersource', cardUpdated('u-1', 'SUSPENDED', '2025-07-01T10:00:00')).expect(200);
    expect(recorder.calls.map((c) => c.kind).sort()).to.deep.equal(['event', 'suspended', 'updated']);
    expect(recorder.last('suspended').changes).to.deep.equal(['card']);
    await deliver(app, 'cybersource', cardUpdated('u-2', 'DELETED', '2025-07-01T11:00:00', 'TOKEN_EXPIRY_UPDATED')).expect(200);
    expect(recorder.count('deleted')).to.equal(1);
    expect((await webhooks.getTokenState('cybersource', TOKEN))?.state).to.equal('DELETED');
  });

  it('an event repeating the current state with a new id reaches onEvent (and onUpdated), flagged repeated, not the state handler', async () => {
    const { app, recorder } = testReceiver();
    await deliver(app, 'cybersource', cardUpdated('r-1', 'SUSPENDED', '2025-07-01T10:00:00', 'TOKEN_STATUS_UPDATED')).expect(200);
    await deliver(app, 'cybersource', cardUpdated('r-2', 'SUSPENDED', '2025-07-01T10:05:00', 'CARD_UPDATED')).expect(200);
    expect(recorder.count('suspended')).to.equal(1);
    expect(recorder.count('updated')).to.equal(1);
    const repeat = recorder.last('event');
    expect(repeat).to.include({ id: 'r-2', repeated: true, stale: false });
  });

  it('a redelivery of an event whose handlers failed fires them again, even after a repeat of its state arrived', async () => {
    const { app, recorder, webhooks } = testReceiver();
    let fail = true;
    webhooks.onSuspended(() => { if (fail) throw new Error('crm down'); });
    const first = tokenexBody({ id: 'f-1', tokenRef: 'tok-f', state: 'SUSPENDED', at: Date.UTC(2025, 0, 1, 10) });
    await deliver(app, 'tokenex', first).expect(500);
    // A repeat of the state: onSuspended does not fire for it, so it succeeds.
    await deliver(app, 'tokenex', tokenexBody({ id: 'f-2', tokenRef: 'tok-f', state: 'SUSPENDED', at: Date.UTC(2025, 0, 1, 11) })).expect(200);
    fail = false;
    await deliver(app, 'tokenex', first).expect(200);
    const suspended = recorder.calls.filter((c) => c.kind === 'suspended').map((c) => c.event.id);
    expect(suspended).to.deep.equal(['f-1', 'f-1'], 'the repeat f-2 never fired onSuspended; f-1 fired it on each of its runs');
    expect(recorder.calls.find((c) => c.kind === 'event' && c.event.id === 'f-2')?.event.repeated).to.equal(true);
  });
});
