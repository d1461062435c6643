import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { ConfigurationError, createTokenWebhooks } from '../../../lib';
import type { FirstokenAuth, TokenEvent } from '../../../lib';
import { fixture } from '../../helpers/fixtures';

const KEY = 'firstoken-webhook-key-0123456789';
const OLD_KEY = 'firstoken-webhook-key-older-000';
const T0 = Date.UTC(2025, 6, 3, 10, 0, 0);

/** `Firstoken-Signature: t=<unix seconds>,s=<hex>` as Firstoken's webhook module shows it, over `<t>.<raw body>` (the documented assumption). */
function signature(body: string, options: { key?: string; t?: number; message?: string } = {}): string {
  const t = String(options.t ?? Math.floor(T0 / 1000));
  const s = createHmac('sha256', options.key ?? KEY).update(options.message ?? `${t}.${body}`).digest('hex');
  return `t=${t},s=${s}`;
}

function receiver(auth: FirstokenAuth) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const seen: TokenEvent[] = [];
  webhooks.onEvent((e) => { seen.push(e); });
  const app = express().use('/ft', webhooks.firstoken({ auth, now: () => T0 }));
  const post = (body: string, headers: Record<string, string>) => request(app).post('/ft').set({ 'content-type': 'application/json', ...headers }).send(body);
  return { webhooks, seen, post };
}

describe('firstoken: Firstoken-Signature', () => {
  const body = fixture('firstoken', 'active').text;

  it('accepts t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<raw body>">, under any configured key (rotation)', async () => {
    // https://firstoken.gitbook.io/api-docs/guides/de-scoping-components/webhook-module/how-to-sign-webhooks-data
    const { seen, post } = receiver({ signingKeys: [KEY, OLD_KEY] });
    await post(body, { 'firstoken-signature': signature(body) }).expect(200);
    await post(body.replace('0000000001', '0000000009'), { 'firstoken-signature': signature(body.replace('0000000001', '0000000009'), { key: OLD_KEY }) }).expect(200);
    expect(seen).to.have.length(2);
  });

  for (const [name, header] of [
    ['no header', undefined],
    ['a signature under another key', signature(body, { key: 'someone-elses-key-0123456789' })],
    ['a signature of another body', signature(body.replace('ACTIVE', 'DELETED'))],
    ['t more than 5 minutes old', signature(body, { t: Math.floor(T0 / 1000) - 301 })],
    ['t more than 5 minutes ahead', signature(body, { t: Math.floor(T0 / 1000) + 301 })],
    ['a malformed header', 't=abc,s=zz'],
  ] as const) {
    it(`refuses ${name} with 401`, async () => {
      const { seen, post } = receiver({ signingKeys: KEY });
      const res = await post(body, header === undefined ? {} : { 'firstoken-signature': header });
      expect([res.status, res.body.error.code]).to.deep.equal([401, 'unauthorized']);
      expect(seen).to.have.length(0);
    });
  }

  it('lets the signed message be overridden, and keeps bearer authentication available (both must pass when both are set)', async () => {
    const custom = receiver({ signingKeys: KEY, signedMessage: (t, raw) => `${t}${raw.toString('utf8')}` });
    await custom.post(body, { 'firstoken-signature': signature(body, { message: `${Math.floor(T0 / 1000)}${body}` }) }).expect(200);
    const both = receiver({ signingKeys: KEY, bearer: 'firstoken-bearer-0123456789' });
    await both.post(body, { 'firstoken-signature': signature(body) }).expect(401);
    await both.post(body, { 'firstoken-signature': signature(body), authorization: 'Bearer firstoken-bearer-0123456789' }).expect(200);
    const bearer = receiver({ bearer: 'firstoken-bearer-0123456789' });
    await bearer.post(body, { authorization: 'Bearer firstoken-bearer-0123456789' }).expect(200);
  });

  it('refuses short signing keys at start-up', () => {
    expect(() => receiver({ signingKeys: 'short' })).to.throw(ConfigurationError).with.property('code', 'ERR_NTW_FIRSTOKEN_KEY');
  });
});

describe('firstoken: a delivery without an event id is deduplicated on its meaning, not its bytes', () => {
  it('a retry re-serialized with other key order and whitespace is a duplicate', async () => {
    const { seen, post } = receiver({ signingKeys: KEY });
    const payload = JSON.parse(fixture('firstoken', 'active-without-event-id').text) as Record<string, unknown>;
    const first = JSON.stringify(payload);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(payload).reverse()), null, 2);
    const a = await post(first, { 'firstoken-signature': signature(first) });
    const b = await post(reordered, { 'firstoken-signature': signature(reordered) });
    expect([a.status, b.status]).to.deep.equal([200, 200]);
    expect(a.body.id).to.equal(b.body.id);
    expect(b.body.duplicate).to.equal(true);
    expect(seen).to.have.length(1);
  });
});
