import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import Razorpay from 'razorpay';
import { ConfigurationError, createTokenWebhooks } from '../../../lib';
import type { RazorpayAuth, TokenEvent } from '../../../lib';
import { buildPayload, signDelivery } from '../../../lib/testing';
import { fixture } from '../../helpers/fixtures';

const SECRET = 'razorpay-webhook-secret-0123456789';
const PREVIOUS = 'razorpay-webhook-secret-previous-01';

/** `X-Razorpay-Signature`, made the way Razorpay's docs give it (an HMAC-SHA256 hex digest of the raw body). */
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

function receiver(auth: RazorpayAuth) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const seen: TokenEvent[] = [];
  webhooks.onEvent((e) => { seen.push(e); });
  const app = express().use('/razorpay', webhooks.razorpay({ auth }));
  const post = (body: string, headers: Record<string, string>) => request(app).post('/razorpay').set({ 'content-type': 'application/json', ...headers }).send(body);
  return { webhooks, seen, post };
}

describe('razorpay: X-Razorpay-Signature, against the razorpay SDK', () => {
  const body = fixture('razorpay', 'token-suspended').text;

  it('what the SDK\'s validateWebhookSignature accepts, we accept; what we (and the test kit) sign, it accepts', async () => {
    const signature = sign(body);
    expect(Razorpay.validateWebhookSignature(body, signature, SECRET)).to.equal(true);
    const { post, seen } = receiver({ webhookSecret: SECRET });
    await post(body, { 'x-razorpay-signature': signature, 'x-razorpay-event-id': 'Gb5kMCdcAZ8jJ8' }).expect(200);
    expect(seen.map((e) => [e.id, e.type, e.tokenRef])).to.deep.equal([['Gb5kMCdcAZ8jJ8', 'token.suspended', 'token_4lsdksD31GaZ09']]);

    const built = JSON.stringify(buildPayload('razorpay', 'deleted'));
    const { headers } = signDelivery('razorpay', built, { razorpay: SECRET });
    expect(Razorpay.validateWebhookSignature(built, headers['x-razorpay-signature']!, SECRET)).to.equal(true);
    expect(Razorpay.validateWebhookSignature(built, headers['x-razorpay-signature']!, PREVIOUS)).to.equal(false);
    expect(Razorpay.validateWebhookSignature(`${built} `, headers['x-razorpay-signature']!, SECRET)).to.equal(false);
  });

  it('after a secret change, a retry of an older event signed with the previous secret passes when both are configured', async () => {
    const { post } = receiver({ webhookSecret: [SECRET, PREVIOUS] });
    await post(body, { 'x-razorpay-signature': sign(body, PREVIOUS), 'x-razorpay-event-id': 'old-event-00001' }).expect(200);
    await post(body, { 'x-razorpay-signature': sign(body), 'x-razorpay-event-id': 'new-event-00001' }).expect(200);
    const only = receiver({ webhookSecret: SECRET });
    const res = await only.post(body, { 'x-razorpay-signature': sign(body, PREVIOUS), 'x-razorpay-event-id': 'old-event-00001' });
    expect([res.status, res.body.error.code]).to.deep.equal([401, 'unauthorized']);
  });

  it('accepts the signature in either case of hex; refuses a missing, malformed or foreign one', async () => {
    const { post, seen } = receiver({ webhookSecret: SECRET });
    await post(body, { 'x-razorpay-signature': sign(body).toUpperCase(), 'x-razorpay-event-id': 'e1' }).expect(200);
    for (const signature of [undefined, '', 'zz', sign(body).slice(2), sign(body, 'someone-elses-secret-000')]) {
      const res = await post(body, { ...(signature === undefined ? {} : { 'x-razorpay-signature': signature }), 'x-razorpay-event-id': 'e2' });
      expect(res.status, String(signature)).to.equal(401);
    }
    expect(seen).to.have.length(1);
  });

  it('refuses webhook secrets shorter than 16 characters at start-up', () => {
    expect(() => receiver({ webhookSecret: '12345' })).to.throw(ConfigurationError).with.property('code', 'ERR_NTW_RAZORPAY_SECRET');
  });
});

describe('razorpay: the event id is the x-razorpay-event-id header', () => {
  const activated = fixture('razorpay', 'token-activated').text;
  const suspended = fixture('razorpay', 'token-suspended').text;
  const headers = (body: string, id?: string) => ({ 'x-razorpay-signature': sign(body), ...(id === undefined ? {} : { 'x-razorpay-event-id': id }) });

  it('a retry (same header id) is a duplicate; a reactivation, byte for byte the first activation under another id, is a new event', async () => {
    const { post, seen, webhooks } = receiver({ webhookSecret: SECRET });
    const first = await post(activated, headers(activated, 'HvYb2a1Q3xZt7K'));
    expect(first.body).to.deep.equal({ received: true, id: 'HvYb2a1Q3xZt7K', duplicate: false });
    const retry = await post(activated, headers(activated, 'HvYb2a1Q3xZt7K'));
    expect(retry.body).to.deep.equal({ received: true, id: 'HvYb2a1Q3xZt7K', duplicate: true });
    await post(suspended, headers(suspended, 'HvYc9Lm2PqRs4T')).expect(200);
    const again = await post(activated, headers(activated, 'HvYd4Nn7UvWx1Y'));
    expect(again.body).to.deep.equal({ received: true, id: 'HvYd4Nn7UvWx1Y', duplicate: false });
    expect(seen.map((e) => `${e.id} ${e.type}`)).to.deep.equal(['HvYb2a1Q3xZt7K token.active', 'HvYc9Lm2PqRs4T token.suspended', 'HvYd4Nn7UvWx1Y token.active']);
    expect((await webhooks.getTokenState('razorpay', 'token_4lsdksD31GaZ09'))?.state).to.equal('ACTIVE');
  });

  it('without the header: the id the wrapped envelope names, else a hash of the content (as for every provider that sends none)', async () => {
    const { post, seen } = receiver({ webhookSecret: SECRET });
    const wrapped = fixture('razorpay', 'service-provider-failed').text;
    expect((await post(wrapped, headers(wrapped))).body).to.include({ id: 'RNR8hMNdcxoOdE' });
    const plain = await post(activated, headers(activated));
    expect(plain.body.id).to.match(/^sha256:[0-9a-f]{64}$/);
    expect((await post(activated, headers(activated))).body).to.include({ duplicate: true });
    expect(seen).to.have.length(2);
  });
});

describe('razorpay: what each event means', () => {
  const deliver = async (body: object) => {
    const { post, seen } = receiver({ webhookSecret: SECRET });
    const text = JSON.stringify(body);
    await post(text, { 'x-razorpay-signature': sign(text), 'x-razorpay-event-id': 'evt-1' }).expect(200);
    return seen[0]!;
  };
  const withEvent = (name: string, edit?: (p: any) => void) => {
    const p = JSON.parse(fixture('razorpay', 'service-provider-deactivated').text);
    p.event = name;
    edit?.(p);
    return p as object;
  };

  it('reads the older spellings of the service provider events: token.service_provider_token.<verb> and token.service_provider_<verb>', async () => {
    expect(await deliver(withEvent('token.service_provider_token.suspended'))).to.include({ type: 'token.suspended', tokenRef: 'spt_1234abcd' });
    expect(await deliver(withEvent('token.service_provider_deactivated'))).to.include({ type: 'token.deleted', tokenRef: 'spt_1234abcd' });
    const expiry = await deliver(withEvent('token.service_provider_expiry_updated', (p) => { p.payload.service_provider_token.entity.status = 'active'; }));
    expect([expiry.type, expiry.state, expiry.changes]).to.deep.equal(['token.updated', 'ACTIVE', ['expiry']]);
  });

  it('a deactivation says why when Razorpay does (status_reason: expired, deactivated_by_bank)', async () => {
    const event = await deliver(withEvent('token.service_provider.deactivated', (p) => { p.payload.service_provider_token.entity.status_reason = 'deactivated_by_bank'; }));
    expect([event.type, event.reasonCode]).to.deep.equal(['token.deleted', 'deactivated_by_bank']);
  });

  it('a service provider event without the service provider token is about the card token\'s first one', async () => {
    const event = await deliver(withEvent('token.service_provider.cancelled', (p) => { delete p.payload.service_provider_token; }));
    expect([event.type, event.tokenRef]).to.deep.equal(['token.suspended', 'spt_1234abcd']);
  });

  it('other events on the same webhook (a recurring token\'s token.confirmed, a payment) are notifications', async () => {
    const confirmed = await deliver(withEvent('token.confirmed'));
    expect([confirmed.type, confirmed.type === 'notification' ? confirmed.kind : '', confirmed.tokenRef]).to.deep.equal(['notification', 'token.confirmed', 'token_4lsdksD31GaZ09']);
    const payment = await deliver({ entity: 'event', account_id: 'acc_1', event: 'payment.captured', contains: ['payment'], payload: { payment: { entity: { id: 'pay_1' } } }, created_at: 1597226379 });
    expect([payment.type, payment.tokenRef, payment.occurredAt.toISOString()]).to.deep.equal(['notification', '', '2020-08-12T09:59:39.000Z']);
  });
});
