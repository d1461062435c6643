import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../../lib';
import type { TokenEvent } from '../../../lib';
import { BEARER, deliver, testReceiver } from '../../helpers/app';
import { edited, fixture } from '../../helpers/fixtures';

describe('tokenex: every shape TokenEx documents is accepted', () => {
  it('the Card Metadata Update Notification (its key written with a leading space, as in TokenEx\'s example): an update of the card\'s metadata', async () => {
    // http://docs.tokenex.com/docs/card-metadata-update-notification ("Request" example: `" networkTokenCardUpdateNotification"`)
    const { app, recorder, webhooks } = testReceiver();
    const body = fixture('tokenex', 'documented/card-metadata-update-notification').text;
    const res = await deliver(app, 'tokenex', body);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ received: true, id: '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', duplicate: false });
    expect(recorder.calls.map((c) => c.kind).sort()).to.deep.equal(['event', 'updated']);
    const event = recorder.last('event');
    expect(event).to.include({ type: 'token.updated', tokenRef: 'b2b92b5b-403d-4bd8-a756-6e415b86b291', reason: 'Card metadata updated' });
    expect(event.changes).to.deep.equal(['metadata']);
    expect(event.state).to.equal(undefined);
    expect(await webhooks.getTokenState('tokenex', event.tokenRef)).to.equal(undefined);
  });

  it('the same notification without the leading space, on its own endpoint or the state-change one', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const seen: TokenEvent[] = [];
    webhooks.onUpdated((e) => { seen.push(e); });
    const app = express();
    app.use('/tokenex/cards', webhooks.tokenex({ auth: { bearer: BEARER } })); // TokenEx's "Card Callback URL"
    app.use('/tokenex/states', webhooks.tokenex({ auth: { bearer: BEARER } })); // its "Network State Callback URL"
    for (const [path, id] of [['/tokenex/cards', 'm-1'], ['/tokenex/states', 'm-2']]) {
      const body = fixture('tokenex', 'documented/card-metadata-update-notification').text
        .replace('" networkTokenCardUpdateNotification"', '"networkTokenCardUpdateNotification"').replace('6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', id!);
      await request(app).post(path!).set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body).expect(200);
    }
    expect(seen.map((e) => e.id)).to.deep.equal(['m-1', 'm-2']);
    await webhooks.close();
  });

  it('values other TokenEx network-token APIs send: success as a boolean, null for absent strings, a numeric timestamp', async () => {
    // https://docs.tokenex.com/docs/get-status: `"success": true`, `"statusMessage": null`.
    const { app, recorder } = testReceiver();
    const body = edited('tokenex', 'request', (p) => {
      p.success = true;
      p.error = null;
      p.message = null;
      const n = p.networkTokenStateChangeNotification;
      n.requestReason = null;
      n.conversationId = null;
      n.previousTokenState = null;
      n.tokenTimestamp = Number(n.tokenTimestamp);
    });
    expect((await deliver(app, 'tokenex', body)).status).to.equal(200);
    expect(recorder.last('active')).to.include({ state: 'ACTIVE', tokenRef: 'b2b92b5b-403d-4bd8-a756-6e415b86b291' });
    expect(recorder.last('event').occurredAt.toISOString()).to.equal('2018-04-16T11:58:48.000Z');
  });
});
