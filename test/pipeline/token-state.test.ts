import { expect } from 'chai';
import { deliver, testReceiver } from '../helpers/app';
import { descriptor } from '../providers/descriptors';

/** A TokenEx notification for token `tok-1`. */
function tokenex(messageId: string, state: string, at: number): string {
  return JSON.stringify({
    token: '476120FDallZ7718', success: 'true',
    networkTokenStateChangeNotification: {
      messageId, tokenReferenceId: 'tok-1', tokenTimestamp: String(at), currentTokenState: state, requestReasonCode: 'UNKNOWN_REASON_CODE',
    },
  });
}

describe('token state projection', () => {
  it('a SUSPENDED older than an applied ACTIVE is stale: stored, acknowledged, onEvent only', async () => {
    const { app, recorder, webhooks } = testReceiver();
    await deliver(app, 'tokenex', tokenex('m-active', 'ACTIVE', 2_000)).expect(200);
    const res = await deliver(app, 'tokenex', tokenex('m-suspended', 'SUSPENDED', 1_000));
    descriptor('tokenex').expectSuccess(res, 'm-suspended', false);

    expect(recorder.count('suspended')).to.equal(0);
    expect(recorder.count('active')).to.equal(1);
    const last = recorder.last('event');
    expect(last).to.include({ id: 'm-suspended', stale: true, staleReason: 'out_of_order', state: 'SUSPENDED' });
    expect(await webhooks.getTokenState('tokenex', 'tok-1')).to.include({ state: 'ACTIVE', eventId: 'm-active', chargeable: true });
    const logged = await webhooks.listEvents({ tokenRef: 'tok-1' });
    expect(logged.map((e) => [e.id, e.stale])).to.deep.equal([['m-active', false], ['m-suspended', true]]);
  });

  it('nothing revives a DELETED token, however new', async () => {
    const { app, recorder, webhooks } = testReceiver();
    await deliver(app, 'tokenex', tokenex('m-1', 'DELETED', 1_000)).expect(200);
    await deliver(app, 'tokenex', tokenex('m-2', 'ACTIVE', 5_000)).expect(200);
    expect(recorder.count('active')).to.equal(0);
    expect(recorder.last('event')).to.include({ id: 'm-2', stale: true, staleReason: 'after_deleted' });
    expect(await webhooks.getTokenState('tokenex', 'tok-1')).to.include({ state: 'DELETED', chargeable: false });
  });

  it('newer events apply in order: ACTIVE → SUSPENDED → ACTIVE → DELETED', async () => {
    const { app, recorder, webhooks } = testReceiver();
    const states = ['ACTIVE', 'SUSPENDED', 'ACTIVE', 'DELETED'];
    for (const [i, state] of states.entries()) await deliver(app, 'tokenex', tokenex(`m-${i}`, state, 1_000 * (i + 1))).expect(200);
    expect(recorder.calls.filter((c) => c.kind !== 'event').map((c) => c.kind)).to.deep.equal(['active', 'suspended', 'active', 'deleted']);
    expect(recorder.calls.every((c) => !c.event.stale)).to.equal(true);
    expect(await webhooks.getTokenState('tokenex', 'tok-1')).to.include({ state: 'DELETED', eventId: 'm-3' });
  });

  it('an unknown token has no state', async () => {
    const { webhooks } = testReceiver();
    expect(await webhooks.getTokenState('tokenex', 'nope')).to.equal(undefined);
  });
});
