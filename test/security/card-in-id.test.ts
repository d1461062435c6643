import { expect } from 'chai';
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import { namesCardNumber } from '../../lib/redact';
import { authHeaders, buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';

/** A UUID holding a Luhn-valid 14-digit Visa-range run (`47-4535-8856-5610`) inside its groups, as one in a thousand does. */
const UUID_WITH_RUN = '2319684d-5d47-4535-8856-5610b4978170';
/** A Cybersource-style 32-hex id with a Luhn-valid 16-digit run glued to letters. */
const HEX_WITH_RUN = '3A4111111111111111F598E0AA195BCD';

describe('a card number in an id or a token reference', () => {
  it('is found as it is written there: alone, after a prefix, grouped as cards print it', () => {
    for (const value of ['4111111111111111', 'tok_4111111111111111', 'pii-4111111111111111', 'card:4111-1111-1111-1111:16',
      '4111 1111 1111 1111', '378282246310005', '3782 822463 10005', 'ref-1234-4111111111111111', '5555555555554444']) {
      expect(namesCardNumber(value), value).to.equal(true);
    }
  });

  it('is not a digit run inside a provider\'s own id: UUIDs and hex ids never are', () => {
    for (const value of [UUID_WITH_RUN, HEX_WITH_RUN, '1700000000000', '41111111111111111111', '4111111111111112']) {
      expect(namesCardNumber(value), value).to.equal(false);
    }
    fc.assert(fc.property(fc.uuid(), (id) => !namesCardNumber(id)), { numRuns: 20_000, seed: 1 });
    const hexId = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEF'), minLength: 32, maxLength: 32 })
      .filter((id) => /[A-F]/.test(id)); // a provider's hex id has letters; an all-digit one would be a 32-digit number
    fc.assert(fc.property(hexId, (id) => !/(?<![0-9A-F])\d{13,19}(?![0-9A-F])/.test(id) ? !namesCardNumber(id) : true), { numRuns: 20_000, seed: 1 });
  });

  it('an authentic delivery whose ids merely contain such a run is accepted as it is, without a referenceKey', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
    const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
    const body = JSON.stringify(buildPayload('tokenex', 'suspended', { id: HEX_WITH_RUN, tokenRef: UUID_WITH_RUN }));
    const res = await request(app).post('/webhooks/tokenex')
      .set({ 'content-type': 'application/json', ...authHeaders('tokenex', body, { bearer: BEARER }) }).send(body);
    expect(res.status).to.equal(200);
    expect((await webhooks.getTokenState('tokenex', UUID_WITH_RUN))?.state).to.equal('SUSPENDED');
    expect((await webhooks.listEvents())[0]?.id).to.equal(HEX_WITH_RUN);
    await webhooks.close();
  });
});
