import { createHash, createHmac } from 'node:crypto';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited } from '../../helpers/fixtures';

/** Its webhook's signature key and the Authorization value it sends (a header configured on the webhook). */
const SECRET = { signatureKey: 'checkout-signature-key-0123456789', authorization: 'cko-webhook-authorization-0123' };

/** `Cko-Signature`: the hex HMAC-SHA256 of the exact body with the signature key (computed here, apart from the provider's kit). */
const ckoSignature = (body: string | Buffer, key: string) => createHmac('sha256', key).update(body).digest('hex');

const TOKEN = 'nt_karvk3vpkvfppmn7jjzbfnsawa';
const AT = '2025-02-27T16:34:45.763Z';

export const checkout: ProviderDescriptor = {
  name: 'checkout',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'network-token-suspended',
  // Token states beyond the SDKs' five are recorded, not refused: nothing is refused by value.
  refusedValues: [],
  // Required by network_token_update only (the schema's if/then).
  alsoRequired: [[['data']], [['data', 'network_token']], [['data', 'network_token', 'id']], [['data', 'network_token', 'state']]],
  healthCheck: false,
  credentialHeader: 'cko-signature',
  misconfigured: [
    { options: {}, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { auth: {} }, code: 'ERR_NTW_CHECKOUT_KEY' },
    { options: { auth: { signatureKey: 'short-key' } }, code: 'ERR_NTW_CHECKOUT_KEY' },
    { options: { auth: { signatureKey: [] } }, code: 'ERR_NTW_CHECKOUT_KEY' },
    { options: { auth: { signatureKey: SECRET.signatureKey, authorization: ' ' } }, code: 'ERR_NTW_CHECKOUT_KEY' },
    { options: { auth: { signingKey: SECRET.signatureKey } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  secret: SECRET,
  credentials: (body, c) => {
    const { signatureKey, authorization } = c.checkout!;
    return { 'cko-signature': ckoSignature(body, signatureKey), ...(authorization ? { authorization } : {}) };
  },
  forgeries: (body, c) => {
    const { signatureKey, authorization } = c.checkout!;
    const valid = ckoSignature(body, signatureKey);
    return {
      'a valid Cko-Signature without the Authorization header': { 'cko-signature': valid },
      'a valid Cko-Signature with another Authorization value': { 'cko-signature': valid, authorization: `${authorization}x` },
      'the Authorization header without a Cko-Signature': { authorization: authorization! },
      'the signature in base64 rather than hex': { 'cko-signature': Buffer.from(valid, 'hex').toString('base64'), authorization: authorization! },
      'the plain SHA-256 of the body, without the key': { 'cko-signature': createHash('sha256').update(body).digest('hex'), authorization: authorization! },
      'signed with another key': { 'cko-signature': ckoSignature(body, `${signatureKey}-old`), authorization: authorization! },
    };
  },
  withPersonalData: ({ pan, email }) => [
    // A network token's number (Checkout.com's API names it `number`) and the card's: never kept.
    edited('checkout', 'network-token-update', (p) => { p.id = 'evt_pii_number'; p.data.network_token.number = pan; p.data.card.number = pan; }),
    // A card number as the token's id: the token reference is its keyed hash.
    edited('checkout', 'network-token-update', (p) => { p.id = 'evt_pii_token'; p.data.network_token.id = `nt_${pan}`; }),
    edited('checkout', 'network-token-update', (p) => { p.id = 'evt_pii_contact'; p.data.customer = { email, name: `card ${pan}` }; }),
  ],
  ...jsonFormat,
  expected: {
    // https://www.checkout.com/docs/developer-resources/webhooks/webhook-event-types/network_token_update (as published)
    'network-token-update': { id: 'evt_a5bfgfrn5mgeloyqfyxxdnkrjq', type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, changes: ['card'], occurredAt: AT, kinds: ['active', 'updated'] },
    // The same example in each other state the SDKs enumerate (checkout-sdk-java NetworkTokenState, checkout-sdk-net StateType).
    'network-token-suspended': { id: 'evt_b2k7m3qz5xwpdlc4hn6jt2vyra', type: 'token.suspended', state: 'SUSPENDED', tokenRef: TOKEN, changes: ['card'], occurredAt: AT, kinds: ['suspended', 'updated'] },
    'network-token-inactive': { id: 'evt_c3n4p7rs2tuvwx5yz6ab7cdefg', type: 'token.deleted', state: 'DELETED', tokenRef: TOKEN, reasonCode: 'inactive', changes: ['card'], occurredAt: AT, kinds: ['deleted', 'updated'] },
    'network-token-declined': { id: 'evt_d4q5r6st7uvwx2yz3ab4cdefgh', type: 'token.deleted', state: 'DELETED', tokenRef: TOKEN, reasonCode: 'declined', changes: ['card'], occurredAt: AT, kinds: ['deleted', 'updated'] },
    'network-token-requested': { id: 'evt_e5s6t7uv2wxyz3ab4cd5efghij', type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, reasonCode: 'requested', changes: ['card'], occurredAt: AT, kinds: ['updated'] },
  },
};
