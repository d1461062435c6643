import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { ConfigurationError, createTokenWebhooks } from '../../../lib';
import type { TokenEvent } from '../../../lib';
import { BEARER, deliver, testReceiver } from '../../helpers/app';
import { edited } from '../../helpers/fixtures';

const PAN = '5291358218615368'; // a Luhn-valid Mastercard number, as NI V2 would send it in card.id.value

function niReceiver(options: { referenceKey?: string; timestampOffset?: string } = {}) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, ...(options.referenceKey ? { referenceKey: options.referenceKey } : {}) });
  const seen: TokenEvent[] = [];
  const errors: unknown[] = [];
  webhooks.onEvent((e) => { seen.push(e); }).onError((e) => { errors.push(e); });
  const app = express().use('/ni', webhooks.ni({ auth: { bearer: BEARER }, ...(options.timestampOffset ? { timestampOffset: options.timestampOffset } : {}) }));
  const post = (body: string) => request(app).post('/ni').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body);
  return { webhooks, seen, errors, post };
}

describe('ni: every shape Network International documents is accepted', () => {
  it('a timestamp without a zone is read at the configured offset: +04:00 by default (NI\'s specification), Z when told', async () => {
    // V2: "Timestamp of the request - Format YYYY-MM-DDtHH:MM:SS.SSS+04:00"; V1's response sample: "2022-11-09T11:00:04.638756" (no zone).
    const body = edited('ni', 'sample-request-for-tc', (p) => { p.timestamp = '2022-11-09T11:00:04.638756'; });
    const gulf = niReceiver();
    await gulf.post(body).expect(200);
    expect(gulf.seen[0]!.occurredAt.toISOString()).to.equal('2022-11-09T07:00:04.638Z');
    const utc = niReceiver({ timestampOffset: 'Z' });
    await utc.post(body).expect(200);
    expect(utc.seen[0]!.occurredAt.toISOString()).to.equal('2022-11-09T11:00:04.638Z');
    expect(() => niReceiver({ timestampOffset: 'Gulf' })).to.throw(ConfigurationError);
    const lower = niReceiver();
    await lower.post(edited('ni', 'sample-request-for-tc', (p) => { p.timestamp = '2022-11-09t15:00:03.125+04:00'; })).expect(200);
    expect(lower.seen[0]!.occurredAt.toISOString()).to.equal('2022-11-09T11:00:03.125Z');
  });

  it('a clear card number as card.id (V2 cardNumber): the token reference is its keyed hash; nothing stores the number', async () => {
    // V2 field table: card.id.type "externalCardId - when this is used, cardNumber - when clear card number is used".
    const body = edited('ni', 'sample-request-for-td', (p) => { p.details.card.id = { type: 'cardNumber', value: PAN }; });
    const { webhooks, seen, post } = niReceiver({ referenceKey: 'a-reference-key-of-32-characters!' });
    expect((await post(body)).status).to.equal(200);
    const tokenRef = seen[0]!.tokenRef;
    expect(tokenRef).to.match(/^card_[A-Za-z0-9_-]{43}:50110030273:16$/);
    expect(tokenRef).to.not.include(PAN);
    expect(JSON.stringify(await webhooks.listEvents())).to.not.include(PAN);
    expect((await webhooks.getTokenState('ni', tokenRef))?.state).to.equal('DELETED');
    const again = niReceiver({ referenceKey: 'a-reference-key-of-32-characters!' });
    await again.post(body.replace('b876d568', 'c876d568')).expect(200);
    expect(again.seen[0]!.tokenRef).to.equal(tokenRef, 'stable: the same key gives the same reference');
  });

  it('without a referenceKey, such a delivery is answered retry-later and reported: never stored with the number in it', async () => {
    const body = edited('ni', 'sample-request-for-td', (p) => { p.details.card.id = { type: 'cardNumber', value: PAN }; });
    const { webhooks, seen, errors, post } = niReceiver();
    const res = await post(body);
    expect(res.status).to.equal(500);
    expect(res.body.response.status).to.deep.equal({ code: '96', description: 'not_configured' });
    expect(res.headers['retry-after']).to.equal('5');
    expect(seen).to.have.length(0);
    expect((errors[0] as ConfigurationError).code).to.equal('ERR_NTW_REFERENCE_KEY');
    expect(await webhooks.listEvents()).to.have.length(0);
  });

  it('token references identify one token: two cards with one masked number are two tokens, and the join is unambiguous', async () => {
    const { webhooks, post } = niReceiver();
    const card = (id: string, external: string, requestor: string, indicator: string) => edited('ni', 'sample-request-for-td', (p) => {
      p.id = id;
      p.details.card.id.value = external;
      p.details.token.requestorId = requestor;
      p.details.token.tokenEventIndicator = indicator;
    });
    await post(card('a-1', 'card-A', '50110030273', '6')).expect(200); // card A suspended
    await post(card('b-1', 'card-B', '50110030273', '7')).expect(200); // card B (same masked number, same wallet) resumed
    expect((await webhooks.getTokenState('ni', 'card-A:50110030273:16'))?.state).to.equal('SUSPENDED');
    expect((await webhooks.getTokenState('ni', 'card-B:50110030273:16'))?.state).to.equal('ACTIVE');
    await post(card('c-1', 'card:x', 'W', '6')).expect(200);
    await post(card('d-1', 'card', 'x:W', '7')).expect(200);
    expect((await webhooks.getTokenState('ni', 'card%3Ax:W:16'))?.state).to.equal('SUSPENDED');
    expect((await webhooks.getTokenState('ni', 'card:x%3AW:16'))?.state).to.equal('ACTIVE');
  });

  it('NI\'s other webhooks on the same endpoint (another type) are acknowledged in NI\'s format and recorded as notifications', async () => {
    // "Our Webhooks solution relies on consumer defining a single API endpoint to receive all the notification types" (NI Webhook Solutions overview).
    const { app, recorder } = testReceiver();
    const body = JSON.stringify({ id: 'f00d-1', type: 'CardActivation', timestamp: '2024-01-02T10:00:00.000+04:00', details: { status: 'activated' } });
    const res = await deliver(app, 'ni', body);
    expect(res.status).to.equal(200);
    expect(res.body.type).to.equal('CardActivation');
    expect(res.body.response.status.code).to.equal('00');
    expect(recorder.calls.map((c) => c.kind)).to.deep.equal(['event']);
    expect(recorder.last('event')).to.include({ type: 'notification', kind: 'CardActivation', tokenRef: '' });
  });

  it('an undocumented tokenEventIndicator is a token update without a state, not a refusal', async () => {
    const { app, recorder } = testReceiver();
    await deliver(app, 'ni', edited('ni', 'sample-request-for-td', (p) => { p.details.token.tokenEventIndicator = 5; })).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.updated', reasonCode: '5' });
    expect(recorder.count('updated')).to.equal(1);
  });
});
