import { expect } from 'chai';
import fc from 'fast-check';
import express from 'express';
import request from 'supertest';
// The Standard Webhooks library (the provider's runtime dependency) signs as Lithic does; Lithic's Node SDK (devDependency) verifies.
import { Webhook } from 'standardwebhooks';
import Lithic from 'lithic';
import { createTokenWebhooks } from '../../../lib';
import type { LithicAuth, TokenEvent } from '../../../lib';
import { buildPayload, signDelivery } from '../../../lib/testing';
import { lithicSignatureAuthenticator } from '../../../lib/providers/lithic-signature';
import { fixtures } from '../../helpers/fixtures';

const SECRET = 'whsec_zlFsbBZ8Xcodlpcu6NDTdSzZRLSdhkst'; // the form of Lithic's own SDK tests
const OLD_SECRET = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
const T0 = Date.UTC(2025, 6, 3, 10, 30);

const sdk = new Lithic({ apiKey: 'not-used-no-request-is-made', webhookSecret: SECRET });

/** A receiver whose shared clock reads `clock()`: the arrival time every signature's time is judged against. */
function receiver(auth: LithicAuth, clock: () => number = () => T0) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, now: () => new Date(clock()) });
  const seen: TokenEvent[] = [];
  webhooks.onEvent((e) => { seen.push(e); });
  const app = express().use('/lithic', webhooks.lithic({ auth }));
  const post = (body: string, headers: Record<string, string>) => request(app).post('/lithic').set({ 'content-type': 'application/json', ...headers }).send(body);
  return { seen, post };
}

/** The three headers of a Standard Webhooks delivery, signed by the library's own `sign`. */
function signed(body: string, id: string, at: number, secret = SECRET): Record<string, string> {
  const date = new Date(Math.floor(at / 1000) * 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(date.getTime() / 1000), 'webhook-signature': new Webhook(secret).sign(id, date, body) };
}

const BODIES = fixtures('lithic').map((f) => f.text);

describe("lithic: Standard Webhooks, against the standardwebhooks library and Lithic's SDK", () => {
  it("the test kit's headers are verified by Lithic's SDK (webhooks.unwrap, verifySignature) and the library, for every fixture and kind", () => {
    const kinds = ['active', 'suspended', 'deleted', 'activation_code', 'notification'] as const;
    for (const body of [...BODIES, ...kinds.map((kind) => JSON.stringify(buildPayload('lithic', kind)))]) {
      const { headers } = signDelivery('lithic', body, { lithic: SECRET }); // signed now: the SDK judges time by Date.now()
      expect(sdk.webhooks.unwrap(body, headers)).to.deep.equal(JSON.parse(body));
      expect(() => sdk.webhooks.verifySignature(body, headers, SECRET)).to.not.throw();
      expect(new Webhook(SECRET).verify(body, headers)).to.deep.equal(JSON.parse(body));
      expect(() => sdk.webhooks.verifySignature(body, headers, OLD_SECRET)).to.throw('No matching signature found');
    }
  });

  it('verifies exactly what the library signs, for any secret, id and bytes (invalid UTF-8 too), and nothing else', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 48 }), fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
      fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 299 }), (secretBytes, id, bytes, flip) => {
        const secret = `whsec_${Buffer.from(secretBytes).toString('base64')}`;
        const body = Buffer.from(bytes);
        const at = new Date(Math.floor(T0 / 1000) * 1000);
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
        const { authenticate } = lithicSignatureAuthenticator({ signingSecret: secret });
        const check = (raw: Buffer) => authenticate({ headers, method: 'POST', ip: undefined, receivedAt: new Date(T0) }, raw);
        expect(check(body)).to.equal(true);
        if (body.length === 0) return;
        const changed = Buffer.from(body);
        changed[flip % body.length] = changed[flip % body.length]! ^ 1;
        expect(check(changed)).to.equal(false);
      }), { numRuns: 500 });
  });

  it('accepts what the library signs, by the id it sends; a resend of one message is a duplicate, another message is not', async () => {
    const { seen, post } = receiver({ signingSecret: SECRET });
    const body = BODIES[0]!;
    await post(body, signed(body, 'msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', T0)).expect(200, { received: true, id: 'msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', duplicate: false });
    // Lithic's retry: the same id and body, a later attempt's timestamp.
    await post(body, signed(body, 'msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', T0 + 60_000)).expect(200, { received: true, id: 'msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', duplicate: true });
    await post(body, signed(body, '8c5f3b1e-2a4d-4b6f-9e8a-7d6c5b4a3f21', T0)).expect(200, { received: true, id: '8c5f3b1e-2a4d-4b6f-9e8a-7d6c5b4a3f21', duplicate: false });
    expect(seen.map((e) => e.id)).to.deep.equal(['msg_2Lh9KRb0pzN4LePd3XiA4v12Axj', '8c5f3b1e-2a4d-4b6f-9e8a-7d6c5b4a3f21']);
  });

  it('judges the timestamp against the arrival by the shared clock, not this process\'s Date.now(): 5 minutes either way', async () => {
    // The shared clock is in 2025: the library's own verify (Date.now()) would call each of these "too old".
    const { seen, post } = receiver({ signingSecret: SECRET });
    const body = BODIES[1]!;
    expect(() => new Webhook(SECRET).verify(body, signed(body, 'msg_a', T0))).to.throw('Message timestamp too old');
    await post(body, signed(body, 'msg_a', T0 - 300_000)).expect(200);
    await post(body, signed(body, 'msg_b', T0 + 300_000)).expect(200);
    expect((await post(body, signed(body, 'msg_c', T0 - 301_000))).status).to.equal(401);
    expect((await post(body, signed(body, 'msg_d', T0 + 301_000))).status).to.equal(401);
    expect(seen).to.have.length(2);
  });

  it('a configured window applies instead', async () => {
    const { post } = receiver({ signingSecret: SECRET, toleranceMs: 60_000 });
    const body = BODIES[2]!;
    await post(body, signed(body, 'msg_e', T0 - 60_000)).expect(200);
    expect((await post(body, signed(body, 'msg_f', T0 - 61_000))).status).to.equal(401);
  });

  it('during a rotation: a delivery signed with both secrets (two entries), or with either alone, is accepted', async () => {
    const { seen, post } = receiver({ signingSecret: [SECRET, OLD_SECRET] });
    const body = BODIES[3]!;
    const both = signed(body, 'msg_g', T0);
    both['webhook-signature'] = `${signed(body, 'msg_g', T0, OLD_SECRET)['webhook-signature']} ${both['webhook-signature']}`;
    await post(body, both).expect(200);
    await post(body, signed(body, 'msg_h', T0, OLD_SECRET)).expect(200);
    const other = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
    expect((await post(body, signed(body, 'msg_i', T0, other))).status).to.equal(401);
    expect(seen).to.have.length(2);
  });

  it('a secret the library cannot read is refused at start-up, not at the first delivery', () => {
    expect(() => new Webhook('a password, not base64')).to.throw();
    expect(() => receiver({ signingSecret: 'a password, not base64' })).to.throw(/ERR_NTW_LITHIC_SECRET/);
  });
});
