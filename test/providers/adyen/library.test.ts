import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
// Adyen's Node library (devDependency): the validator its README gives for the webhooks signed in the HmacSignature header.
import HmacValidator from '@adyen/api-library/lib/src/utils/hmacValidator';
import { createTokenWebhooks } from '../../../lib';
import type { AdyenAuth, TokenEvent } from '../../../lib';
import { authHeaders } from '../../../lib/testing';
import { fixtures } from '../../helpers/fixtures';

const KEY = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
const OLD_KEY = '11223344D785FBAE710E7F943F307971BB61B21281C98C9129B3D4018A57B2EB';
const BASIC = { username: 'adyen-webhook', password: 'adyen-basic-password-0123' };
const basic = `Basic ${Buffer.from(`${BASIC.username}:${BASIC.password}`).toString('base64')}`;

const validator = new HmacValidator();

function receiver(auth: AdyenAuth) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const seen: TokenEvent[] = [];
  webhooks.onEvent((e) => { seen.push(e); });
  const app = express().use('/adyen', webhooks.adyen({ auth }));
  const post = (body: string, headers: Record<string, string>) => request(app).post('/adyen').set({ 'content-type': 'application/json', ...headers }).send(body);
  return { seen, post };
}

/** A body with characters beyond ASCII: the signature covers its UTF-8 bytes. */
const nonAscii = JSON.stringify({
  createdAt: '2025-06-30T16:40:23+02:00', eventId: 'QBQQ9DLNRHHKGK39', environment: 'test', type: 'recurring.token.created',
  data: { merchantAccount: 'Müller_Café', storedPaymentMethodId: 'M5N7TQ4TG5PFWR51', type: 'visa', operation: 'created', shopperReference: 'Zoë 🐝 — 東京' },
});
const BODIES = [...fixtures('adyen').map((f) => f.text), nonAscii];

describe("adyen: HmacSignature, against Adyen's own library (@adyen/api-library)", () => {
  it('the test kit signs every fixture as the library computes it, and the library validates each signature', () => {
    for (const body of BODIES) {
      const { hmacsignature } = authHeaders('adyen', body, { adyen: { hmacKey: KEY } });
      expect(hmacsignature).to.equal(validator.calculateHmac(body, KEY));
      expect(validator.validateHMACSignature(KEY, hmacsignature!, body)).to.equal(true);
      // Its deprecated Banking variant, whose parameters are named the other way round: the signature first, then the key.
      expect(validator.validateBankingHMAC(hmacsignature!, KEY, body)).to.equal(true);
      expect(validator.validateHMACSignature(OLD_KEY, hmacsignature!, body)).to.equal(false);
    }
  });

  it("accepts every body the library signs, with the key in either case, and the webhook's basic credentials", async () => {
    const { seen, post } = receiver({ hmacKey: KEY.toLowerCase(), basic: BASIC });
    for (const body of BODIES) await post(body, { hmacsignature: validator.calculateHmac(body, KEY), authorization: basic }).expect(200, { notificationResponse: '[accepted]' });
    expect(seen).to.have.length(BODIES.length);
    expect(seen.at(-1)).to.include({ type: 'token.active', tokenRef: 'M5N7TQ4TG5PFWR51' });
  });

  it('accepts a key being rotated out (older messages in the retry queue are signed with it) and refuses any other', async () => {
    const { seen, post } = receiver({ hmacKey: [KEY, OLD_KEY] });
    const [first, second] = BODIES;
    await post(first!, { hmacsignature: validator.calculateHmac(first!, OLD_KEY) }).expect(200);
    await post(second!, { hmacsignature: validator.calculateHmac(second!, KEY) }).expect(200);
    const other = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F90';
    const refused = await post(nonAscii, { hmacsignature: validator.calculateHmac(nonAscii, other) });
    expect([refused.status, refused.body.error.code]).to.deep.equal([401, 'unauthorized']);
    expect(seen).to.have.length(2);
  });

  it('refuses what the library refuses: the body changed after signing, a signature of other bytes', async () => {
    const { seen, post } = receiver({ hmacKey: KEY });
    const body = BODIES[0]!;
    const signature = validator.calculateHmac(body, KEY);
    const changed = body.replace('"test"', '"live"');
    expect(validator.validateHMACSignature(KEY, signature, changed)).to.equal(false);
    expect((await post(changed, { hmacsignature: signature })).status).to.equal(401);
    // The same JSON re-serialized: the library signs bytes, so does Adyen, and so is it checked.
    const reserialized = JSON.stringify(JSON.parse(body));
    expect(reserialized).to.not.equal(body);
    expect(validator.validateHMACSignature(KEY, signature, reserialized)).to.equal(false);
    expect((await post(reserialized, { hmacsignature: signature })).status).to.equal(401);
    expect(seen).to.have.length(0);
  });

  it('basic credentials alone, when the webhook has no HMAC key', async () => {
    const { seen, post } = receiver({ basic: BASIC });
    await post(BODIES[0]!, { authorization: basic }).expect(200);
    expect((await post(BODIES[1]!, { authorization: `Basic ${Buffer.from(`${BASIC.username}:wrong`).toString('base64')}` })).status).to.equal(401);
    expect((await post(BODIES[1]!, { hmacsignature: validator.calculateHmac(BODIES[1]!, KEY) })).status).to.equal(401);
    expect(seen).to.have.length(1);
  });
});
