import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../../lib';
import type { TokenEvent } from '../../../lib';
import { buildPayload, deliver as send } from '../../../lib/testing';
import { deliver, testReceiver } from '../../helpers/app';
import { edited, fixture } from '../../helpers/fixtures';
import { unauthenticated } from '../../helpers/unauthenticated';

describe('lithic: dedupe keys and mappings beyond the examples', () => {
  it('UNKNOWN, or a status Lithic does not list, is an update of the status, not a guess', async () => {
    for (const status of ['UNKNOWN', 'SUSPENDED_BY_NETWORK']) {
      const { app, recorder } = testReceiver();
      await deliver(app, 'lithic', edited('lithic', 'tokenization-updated-active', (p) => { p.tokenization.status = status; })).expect(200);
      const event = recorder.last('event');
      expect([event.type, event.state, event.reasonCode, event.changes]).to.deep.equal(['token.updated', undefined, status, ['status']]);
    }
  });

  it('pause, unpause, deactivate: the token follows, and the same message again is a duplicate', async () => {
    const { app, recorder, webhooks } = testReceiver();
    const at = (status: string, created: string) => edited('lithic', 'tokenization-updated-active', (p) => { p.tokenization.status = status; p.created = created; });
    const paused = at('PAUSED', '2025-07-02T10:00:00Z');
    for (const body of [paused, at('ACTIVE', '2025-07-02T11:00:00Z'), paused, at('DEACTIVATED', '2025-07-02T12:00:00Z')]) await deliver(app, 'lithic', body).expect(200);
    expect(recorder.calls.filter((c) => c.kind !== 'event').map((c) => c.kind)).to.deep.equal(['suspended', 'active', 'deleted']);
    expect((await webhooks.getTokenState('lithic', '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e'))?.state).to.equal('DELETED');
  });

  it('another event type of the subscription is a notification: its type as kind, no token', async () => {
    const { app, recorder } = testReceiver();
    await deliver(app, 'lithic', JSON.stringify({ event_type: 'card.created', card_token: '3e8b1c47-8d92-4f6e-a5b4-7c0d2e9f1a36', created: 7 })).expect(200);
    expect(recorder.last('event')).to.include({ type: 'notification', kind: 'card.created', tokenRef: '' });
    expect(recorder.calls).to.have.length(1);
  });

  it('the 2FA code reaches the handler; it, and where it was sent, are never stored in clear', async () => {
    const { app, recorder, webhooks } = testReceiver();
    await deliver(app, 'lithic', fixture('lithic', 'tokenization-two-factor-authentication-code').text).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.activation_code', activationCode: '483920' });
    const stored = JSON.stringify(await webhooks.listEvents());
    expect(stored).to.not.include('483920').and.not.include('+15555550123');
  });

  it('the test kit sends the id of its build as webhook-id: the event is recorded under it, and a resend is a retry', async () => {
    const secret = `whsec_${Buffer.alloc(24, 3).toString('base64')}`;
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const seen: TokenEvent[] = [];
    webhooks.onEvent((e) => { seen.push(e); });
    const app = express().use('/webhooks/lithic', webhooks.lithic({ auth: { signingSecret: secret } }));
    const payload = buildPayload('lithic', 'suspended', { id: 'msg_built_0001' });
    expect((await send(app, 'lithic', payload, { credentials: { lithic: secret } })).acknowledgement).to.deep.equal({ accepted: true, duplicate: false, id: 'msg_built_0001' });
    expect((await send(app, 'lithic', payload, { credentials: { lithic: secret } })).acknowledgement.duplicate).to.equal(true);
    expect(seen.map((e) => [e.id, e.type])).to.deep.equal([['msg_built_0001', 'token.suspended']]);
  });

  it("without a webhook-id (auth: 'none'), the body's hash is the key", async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false }).onEvent(() => undefined);
    const app = express().use('/lithic', unauthenticated(() => webhooks.lithic({ auth: 'none' })));
    const body = fixture('lithic', 'tokenization-result').text;
    const post = () => request(app).post('/lithic').set('content-type', 'application/json').send(body);
    const first = await post().expect(200);
    expect(first.body.id).to.match(/^sha256:[0-9a-f]{64}$/);
    expect((await post().expect(200)).body).to.include({ id: first.body.id, duplicate: true });
  });
});
