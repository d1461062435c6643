import { createHash, createHmac } from 'node:crypto';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited } from '../../helpers/fixtures';

/** The endpoint's signing secret. */
const SECRET = 'whsec_stripe_test_signing_secret_0123456789';

/** `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, computed here, apart from the provider's kit. */
function stripeHeader(body: string | Buffer, secret: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`;
}

const seconds = (c: { now?: () => number }) => Math.floor((c.now?.() ?? Date.now()) / 1000);
const at = (unix: number) => new Date(unix * 1000).toISOString();

const PROVISIONED = 'intok_1NuMIZFUQNp5XJknPmDzEz0t';
const REFERENCE = 'intok_1MzDbE2eZvKYlo2C26a98MDg';

export const stripe: ProviderDescriptor = {
  name: 'stripe',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'issuing-token-updated-suspended',
  // Statuses beyond Stripe's four are recorded, not refused; other event types are notifications.
  refusedValues: [['data', 'object', 'object']],
  // Required of issuing_token.* events only (the schema's if/then).
  alsoRequired: [[['data', 'object', 'id']], [['data', 'object', 'status']], [['data', 'object', 'object']]],
  healthCheck: false,
  credentialHeader: 'stripe-signature',
  misconfigured: [
    { options: {}, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { auth: {} }, code: 'ERR_NTW_STRIPE_SECRET' },
    { options: { auth: { signingSecret: 'whsec_short' } }, code: 'ERR_NTW_STRIPE_SECRET' },
    { options: { auth: { signingSecret: [] } }, code: 'ERR_NTW_STRIPE_SECRET' },
    { options: { auth: { signingSecret: 'sk_test_51H8abcdefghijklmnopqrstuvwxyz' } }, code: 'ERR_NTW_STRIPE_SECRET' },
    { options: { auth: { signingSecret: SECRET, toleranceMs: -1 } }, code: 'ERR_NTW_TOLERANCE' },
    { options: { auth: { signingKey: SECRET } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  secret: SECRET,
  credentials: (body, c) => ({ 'stripe-signature': stripeHeader(body, c.stripe as string, seconds(c)) }),
  forgeries: (body, c) => {
    const secret = c.stripe as string;
    const t = seconds(c);
    const v1 = stripeHeader(body, secret, t).split(',v1=')[1]!;
    return {
      'a v1 over the body alone, without "<t>."': { 'stripe-signature': `t=${t},v1=${createHmac('sha256', secret).update(body).digest('hex')}` },
      'the signature as v0 (the scheme Stripe no longer checks)': { 'stripe-signature': `t=${t},v0=${v1}` },
      'a valid v1 with another t': { 'stripe-signature': `t=${t - 1},v1=${v1}` },
      't older than the 300 s tolerance': { 'stripe-signature': stripeHeader(body, secret, t - 301) },
      't more than 300 s ahead': { 'stripe-signature': stripeHeader(body, secret, t + 301) },
      'the SHA-256 of the signed text, without the secret': { 'stripe-signature': `t=${t},v1=${createHash('sha256').update(`${t}.${body}`).digest('hex')}` },
      'signed with another secret': { 'stripe-signature': stripeHeader(body, `${secret}-rolled`, t) },
      'no t': { 'stripe-signature': `v1=${v1}` },
    };
  },
  withPersonalData: ({ pan, email, phone }) => [
    // network_data, as the Retrieve API expands it: device and wallet account details.
    edited('stripe', 'issuing-token-created', (p) => {
      p.id = 'evt_pii_network_data';
      p.data.object.network_data = {
        device: { device_fingerprint: 'intd_1', ip_address: '203.0.113.7', location: '+30.22/-89.10', name: `${email}'s phone`, phone_number: phone, type: 'phone' },
        type: 'visa',
        wallet_provider: { cardholder_name: 'Jane Doe', cardholder_address: { line1: '1 Main St', postal_code: '70112' }, hashed_account_email_address: email },
      };
    }),
    // A card number where the token's last four belong, and as the card's id.
    edited('stripe', 'issuing-token-updated-suspended', (p) => { p.id = 'evt_pii_pan'; p.data.object.last4 = pan; p.data.object.card = `ic_${pan}`; }),
    // Another Issuing event on the same endpoint: a cardholder, with a phone number, an email and an address.
    edited('stripe', 'issuing-token-created', (p) => {
      p.id = 'evt_pii_cardholder';
      p.type = 'issuing_cardholder.updated';
      p.data.object = { id: 'ich_1', object: 'issuing.cardholder', email, phone_number: phone, name: 'Jane Doe', billing: { address: { line1: '1 Main St', postal_code: '70112' } } };
    }),
    // An expanded Issuing card carries its number.
    edited('stripe', 'issuing-token-created', (p) => { p.id = 'evt_pii_card_number'; p.type = 'issuing_card.updated'; p.data.object = { id: 'ic_1', object: 'issuing.card', number: pan, cvc: '123', last4: pan.slice(-4) }; }),
  ],
  ...jsonFormat,
  expected: {
    // https://docs.stripe.com/issuing/controls/token-management (as published): provisioning awaits verification.
    'issuing-token-created': { id: 'evt_1NxBn3FUQNp5XJkna0rkKU2r', type: 'token.inactive', state: 'INACTIVE', tokenRef: PROVISIONED, reasonCode: 'requested', occurredAt: at(1691100189), kinds: [] },
    'issuing-token-updated-active': { id: 'evt_1NxBn9FUQNp5XJknQ4cVw8sD', type: 'token.active', state: 'ACTIVE', previousState: 'INACTIVE', tokenRef: PROVISIONED, occurredAt: at(1691100196), kinds: ['active'] },
    'issuing-token-created-merchant': { id: 'evt_1NuMJ2uTQ2hhXJooK8wXcN4b', type: 'token.active', state: 'ACTIVE', tokenRef: 'intok_1NuMIZuTQ2hhXJooNmDzEz0t', occurredAt: at(1691100180), kinds: ['active'] },
    'issuing-token-updated-suspended': { id: 'evt_1MzDdH2eZvKYlo2CqT6sLm4u', type: 'token.suspended', state: 'SUSPENDED', previousState: 'ACTIVE', tokenRef: REFERENCE, occurredAt: at(1682059460), kinds: ['suspended'] },
    'issuing-token-updated-deleted': { id: 'evt_1MzDfK2eZvKYlo2Cx7RnVb2e', type: 'token.deleted', state: 'DELETED', previousState: 'SUSPENDED', tokenRef: REFERENCE, occurredAt: at(1682059760), kinds: ['deleted'] },
    'issuing-token-updated-card': { id: 'evt_1PqRt4Z4pSeEKmWXa3hJk9Lm', type: 'token.updated', state: 'ACTIVE', tokenRef: REFERENCE, changes: ['card'], occurredAt: at(1723632000), kinds: ['updated'] },
  },
};
