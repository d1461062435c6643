import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import Stripe from 'stripe';
import { ConfigurationError, createTokenWebhooks } from '../../../lib';
import type { StripeAuth, TokenEvent } from '../../../lib';
import { buildPayload, signDelivery } from '../../../lib/testing';
import { fixture } from '../../helpers/fixtures';

const SECRET = 'whsec_stripe_signing_secret_0123456789abcdef';
const ROLLED = 'whsec_stripe_signing_secret_rolled_98765432';
/** The fleet clock of the receivers below: a signature's t is judged against the delivery's receipt by it. */
const T0 = Date.UTC(2025, 6, 3, 10, 0, 0);
const t0 = Math.floor(T0 / 1000);

const sdk = new Stripe('sk_test_unused_0123456789');

function receiver(auth: StripeAuth) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, now: () => new Date(T0) });
  const seen: TokenEvent[] = [];
  webhooks.onEvent((e) => { seen.push(e); });
  const app = express().use('/stripe', webhooks.stripe({ auth }));
  const post = (body: string, header?: string) => request(app).post('/stripe')
    .set({ 'content-type': 'application/json', ...(header === undefined ? {} : { 'stripe-signature': header }) }).send(body);
  return { webhooks, seen, post };
}

describe('stripe: Stripe-Signature, against stripe-node', () => {
  const body = fixture('stripe', 'issuing-token-updated-suspended').text;

  it('accepts what stripe-node\'s generateTestHeaderString signs, and answers 200 {"received": true}', async () => {
    const { seen, post } = receiver({ signingSecret: SECRET });
    const header = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t0 });
    const res = await post(body, header).expect(200);
    expect(res.body).to.deep.equal({ received: true, id: 'evt_1MzDdH2eZvKYlo2CqT6sLm4u', duplicate: false });
    expect(seen.map((e) => [e.type, e.tokenRef])).to.deep.equal([['token.suspended', 'intok_1MzDbE2eZvKYlo2C26a98MDg']]);
  });

  it('its own signatures verify with stripe-node\'s constructEvent (the test kit\'s and the CLI\'s)', () => {
    const payload = JSON.stringify(buildPayload('stripe', 'deleted'));
    const { headers } = signDelivery('stripe', payload, { stripe: SECRET, now: () => T0 });
    const event = sdk.webhooks.constructEvent(payload, headers['stripe-signature']!, SECRET, 300, undefined, T0);
    expect([event.type, (event.data.object as { status?: string }).status]).to.deep.equal(['issuing_token.updated', 'deleted']);
    expect(() => sdk.webhooks.constructEvent(payload, headers['stripe-signature']!, ROLLED, 300, undefined, T0)).to.throw(/No signatures found/);
  });

  it('while a secret rolls: a header with a v1 per secret verifies with either, in stripe-node and here; either configured secret is accepted', async () => {
    const payload = JSON.stringify(buildPayload('stripe', 'active'));
    const { headers } = signDelivery('stripe', payload, { stripe: [ROLLED, SECRET], now: () => T0 });
    expect(headers['stripe-signature']!.match(/v1=/g)).to.have.length(2);
    for (const secret of [SECRET, ROLLED]) expect(sdk.webhooks.constructEvent(payload, headers['stripe-signature']!, secret, 300, undefined, T0).id).to.be.a('string');
    const { post } = receiver({ signingSecret: SECRET });
    await post(payload, headers['stripe-signature']).expect(200);
    const rotating = receiver({ signingSecret: [SECRET, ROLLED] });
    const other = JSON.stringify(buildPayload('stripe', 'suspended'));
    await rotating.post(other, sdk.webhooks.generateTestHeaderString({ payload: other, secret: ROLLED, timestamp: t0 })).expect(200);
    await rotating.post(body, sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t0 })).expect(200);
  });

  it('judges t against the delivery\'s receipt by the fleet clock, within 300 s either way (stripe-node\'s DEFAULT_TOLERANCE)', async () => {
    const { post, seen } = receiver({ signingSecret: SECRET });
    const signed = (t: number) => sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t });
    for (const t of [t0 - 301, t0 + 301]) expect((await post(body, signed(t))).status, `t ${t - t0}`).to.equal(401);
    expect(seen).to.have.length(0);
    await post(body, signed(t0 - 300)).expect(200);
    await post(body, signed(t0 + 300)).expect(200); // a retry, signed anew: a duplicate of the event
    expect(seen).to.have.length(1);
    const wide = receiver({ signingSecret: SECRET, toleranceMs: 3_600_000 });
    await wide.post(body, signed(t0 - 3000)).expect(200);
  });

  it('ignores v0 and unknown schemes, as stripe-node does, and refuses a header without a v1 that matches', async () => {
    const { post } = receiver({ signingSecret: SECRET });
    const v1 = sdk.webhooks.generateTestHeaderString({ payload: body, secret: SECRET, timestamp: t0 }).split(',v1=')[1]!;
    await post(body, `t=${t0},v0=${'0'.repeat(64)},v1=${v1}`).expect(200);
    for (const header of [`t=${t0},v0=${v1}`, `t=${t0}`, `v1=${v1}`, `t=abc,v1=${v1}`, 'garbage', '']) {
      const res = await post(body, header);
      expect([res.status, res.body.error.code], header).to.deep.equal([401, 'unauthorized']);
    }
  });

  it('refuses at start-up what cannot be an endpoint\'s signing secret: empty, short, or an API key', () => {
    for (const signingSecret of ['', 'whsec_x', 'sk_live_0123456789abcdefghijklmnop', 'rk_test_0123456789abcdefghijklmnop']) {
      expect(() => receiver({ signingSecret }), signingSecret).to.throw(ConfigurationError).with.property('code', 'ERR_NTW_STRIPE_SECRET');
    }
  });
});

describe('stripe: what each event means', () => {
  const sign = (text: string) => sdk.webhooks.generateTestHeaderString({ payload: text, secret: SECRET, timestamp: t0 });

  it('another event type on the same endpoint is a notification: acknowledged, recorded, onEvent only', async () => {
    const { post, seen } = receiver({ signingSecret: SECRET });
    const text = JSON.stringify({
      id: 'evt_1OtherTypeZ4pSeEKmWXa3hJ', object: 'event', api_version: '2025-02-24.acacia', created: t0, type: 'issuing_card.updated',
      data: { object: { id: 'ic_1MytUz2eZvKYlo2CZCn5fuvZ', object: 'issuing.card', status: 'inactive' }, previous_attributes: { status: 'active' } },
    });
    const res = await post(text, sign(text)).expect(200);
    expect(res.body).to.deep.equal({ received: true, id: 'evt_1OtherTypeZ4pSeEKmWXa3hJ', duplicate: false });
    expect(seen.map((e) => [e.type, e.type === 'notification' ? e.kind : '', e.tokenRef, e.state])).to.deep.equal([['notification', 'issuing_card.updated', '', undefined]]);
  });

  it('a status Stripe has not listed changes no state: a token.updated that says the status changed', async () => {
    const { post, seen } = receiver({ signingSecret: SECRET });
    const text = JSON.stringify(buildPayload('stripe', 'active', { id: 'evt_new_status', edit: (p) => { p.data.object.status = 'pending_review'; } }));
    await post(text, sign(text)).expect(200);
    expect(seen.map((e) => [e.type, e.state, e.reasonCode, e.changes])).to.deep.equal([['token.updated', undefined, 'pending_review', ['status']]]);
  });

  it('previous_attributes say what changed: the status (previousState), the card, other details', async () => {
    const { post, seen } = receiver({ signingSecret: SECRET });
    const send = async (id: string, previous: Record<string, unknown>, status = 'active') => {
      const text = JSON.stringify(buildPayload('stripe', 'active', { id, tokenRef: `intok_${id}`, edit: (p) => { p.data.object.status = status; p.data.previous_attributes = previous; } }));
      await post(text, sign(text)).expect(200);
    };
    await send('a', { status: 'suspended' });
    await send('b', { card: 'ic_old', network_updated_at: 1 });
    await send('c', { wallet_provider: null });
    await send('d', { status: 'requested', card: 'ic_old' });
    expect(seen.map((e) => [e.id, e.type, e.state, e.previousState, e.changes])).to.deep.equal([
      ['a', 'token.active', 'ACTIVE', 'SUSPENDED', []],
      ['b', 'token.updated', 'ACTIVE', undefined, ['card']],
      ['c', 'token.updated', 'ACTIVE', undefined, ['metadata']],
      ['d', 'token.active', 'ACTIVE', 'INACTIVE', ['card']],
    ]);
  });
});
