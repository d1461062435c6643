import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { Response } from 'supertest';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited } from '../../helpers/fixtures';
import { contentId } from '../../../lib/pipeline/canonical-json';

/** Its webhook's HMAC key (64 hex digits, as the Customer Area shows one) and the basic credentials it sends. */
const SECRET = {
  hmacKey: '9F3C1A7B5D2E4F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8',
  basic: { username: 'adyen-webhook', password: 'adyen-basic-password-0123' },
};

/** `HmacSignature`: the base64 HMAC-SHA256 of the exact body keyed by the hex-decoded key (computed here, apart from the provider's kit). */
const hmacSignature = (body: string | Buffer, hexKey: string) => createHmac('sha256', Buffer.from(hexKey, 'hex')).update(body).digest('base64');
const basicHeader = ({ username, password }: { username: string; password: string }) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

const NETWORK_TOKEN = 'NT32265223222B5HJ6KV3CZ7Q2MD';
const STORED_TOKEN = 'M5N7TQ4TG5PFWR50';
/** The four Tokenization examples share this PSP reference: each one's key is its type, this and its token. */
const PSP = 'QBQQ9DLNRHHKGK38';
const TOKENIZED_AT = '2025-06-30T14:40:23.000Z';
const tokenizationId = (type: string) => `recurring.token.${type}:${PSP}:${STORED_TOKEN}`;

export const adyen: ProviderDescriptor = {
  name: 'adyen',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'network-token-suspended',
  // Statuses beyond the four documented are recorded, not refused: nothing is refused by value.
  refusedValues: [],
  // Required by the network token types only (the schema's if/then).
  alsoRequired: [[['data']], [['data', 'id']]],
  healthCheck: false,
  credentialHeader: 'hmacsignature',
  misconfigured: [
    { options: {}, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { auth: {} }, code: 'ERR_NTW_ADYEN_KEY' },
    { options: { auth: { hmacKey: [] } }, code: 'ERR_NTW_ADYEN_KEY' },
    { options: { auth: { hmacKey: 'not-a-hex-key-not-a-hex-key-not-a-hex-key-0123' } }, code: 'ERR_NTW_ADYEN_KEY' },
    { options: { auth: { hmacKey: 'ABCDEF0123' } }, code: 'ERR_NTW_ADYEN_KEY' },
    { options: { auth: { hmacKey: `${SECRET.hmacKey}0` } }, code: 'ERR_NTW_ADYEN_KEY' },
    { options: { auth: { hmacKey: SECRET.hmacKey, basic: { username: 'a:b', password: 'secret-password-0123' } } }, code: 'ERR_NTW_AUTH_BASIC' },
    { options: { auth: { hmacKey: SECRET.hmacKey, basic: [] } }, code: 'ERR_NTW_AUTH_EMPTY' },
    { options: { auth: { hmacKy: SECRET.hmacKey } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  secret: SECRET,
  credentials: (body, c) => {
    const { hmacKey, basic } = c.adyen!;
    return { hmacsignature: hmacSignature(body, hmacKey), ...(basic ? { authorization: basicHeader(basic) } : {}) };
  },
  forgeries: (body, c) => {
    const { hmacKey, basic } = c.adyen!;
    const valid = hmacSignature(body, hmacKey);
    const authorization = basicHeader(basic!);
    return {
      'a valid HmacSignature without the basic credentials': { hmacsignature: valid },
      'the basic credentials without an HmacSignature': { authorization },
      'a valid HmacSignature with a wrong basic password': { hmacsignature: valid, authorization: basicHeader({ ...basic!, password: `${basic!.password}x` }) },
      'the signature in hex rather than base64': { hmacsignature: Buffer.from(valid, 'base64').toString('hex'), authorization },
      'signed with the key\'s text rather than its hex-decoded bytes': { hmacsignature: createHmac('sha256', hmacKey).update(body).digest('base64'), authorization },
      'the plain SHA-256 of the body, without the key': { hmacsignature: createHash('sha256').update(body).digest('base64'), authorization },
      'signed with another key': { hmacsignature: hmacSignature(body, `${hmacKey.slice(2)}00`), authorization },
    };
  },
  withPersonalData: ({ pan, email, phone }) => [
    // A card number as the network token's id: the token reference is its keyed hash; one in a field Adyen does not document.
    edited('adyen', 'network-token-active', (p) => { p.data.id = pan; p.data.tokenNumber = pan; }),
    // A shopper reference that is an email address, and a card number in a stored token's id.
    edited('adyen', 'recurring-token-created', (p) => { p.eventId = 'PIIEMAIL00000001'; p.data.shopperReference = email; p.data.storedPaymentMethodId = pan; }),
    // Another Configuration webhook on the same endpoint: an account holder's contact details.
    JSON.stringify({
      data: {
        balancePlatform: 'YOUR_BALANCE_PLATFORM',
        accountHolder: {
          id: 'AH3227C223222C5GXQXF658WB', legalEntityId: 'LE322JV223222D5GG42KN6869', status: 'active',
          contactDetails: { email, phone: { number: phone, type: 'mobile' }, address: { city: 'Amsterdam', country: 'NL', street: 'Simon Carmiggeltstraat 6', postalCode: '1011DJ' } },
          description: `card ${pan} of ${email}`,
        },
      },
      environment: 'test',
      timestamp: '2025-03-19T10:15:30+01:00',
      type: 'balancePlatform.accountHolder.created',
    }),
  ],
  // A Balance Platform webhook has no id to build it with: its key is its content's hash.
  builtEventId: (payload) => {
    const p = payload as { type: string; eventId?: string; data: { storedPaymentMethodId?: string } };
    return p.eventId === undefined ? contentId(payload) : `${p.type}:${p.eventId}:${p.data.storedPaymentMethodId}`;
  },
  ...jsonFormat,
  /** Adyen's answer: 200 with `[accepted]` as the `notificationResponse` of its response schema; the outcome header says a duplicate. */
  expectSuccess(res: Response, _id: string, duplicate: boolean): void {
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ notificationResponse: '[accepted]' });
    expect(res.headers['ntw-outcome']).to.equal(duplicate ? 'duplicate' : 'accepted');
  },
  expected: {
    // TokenizationNotification-v1.yaml, its four examples as published.
    'recurring-token-created': { id: tokenizationId('created'), type: 'token.active', state: 'ACTIVE', tokenRef: STORED_TOKEN, reason: 'created', occurredAt: TOKENIZED_AT, kinds: ['active'] },
    'recurring-token-updated': { id: tokenizationId('updated'), type: 'token.updated', tokenRef: STORED_TOKEN, reason: 'updated', changes: ['card'], occurredAt: TOKENIZED_AT, kinds: ['updated'] },
    'recurring-token-disabled': { id: tokenizationId('disabled'), type: 'token.deleted', state: 'DELETED', tokenRef: STORED_TOKEN, reasonCode: 'disabled', occurredAt: TOKENIZED_AT, kinds: ['deleted'] },
    'recurring-token-already-existing': { id: tokenizationId('alreadyExisting'), type: 'notification', tokenRef: STORED_TOKEN, reason: 'alreadyExisting', occurredAt: TOKENIZED_AT, kinds: [] },
    // BalancePlatformConfigurationNotification-v2.yaml's schema, with each status of the network-token page: no event id, the content's hash.
    'network-token-created': { id: 'sha256:', type: 'token.inactive', state: 'INACTIVE', tokenRef: NETWORK_TOKEN, reason: 'requiresAuthentication', occurredAt: '2025-03-19T09:15:30.000Z', kinds: [] },
    'network-token-active': { id: 'sha256:', type: 'token.active', state: 'ACTIVE', tokenRef: NETWORK_TOKEN, reason: 'approved', occurredAt: '2025-03-19T09:16:02.000Z', kinds: ['active'] },
    'network-token-suspended': { id: 'sha256:', type: 'token.suspended', state: 'SUSPENDED', tokenRef: NETWORK_TOKEN, reason: 'approved', occurredAt: '2025-04-02T06:00:12.000Z', kinds: ['suspended'] },
    'network-token-closed': { id: 'sha256:', type: 'token.deleted', state: 'DELETED', tokenRef: NETWORK_TOKEN, reason: 'approved', reasonCode: 'closed', occurredAt: '2025-05-11T15:45:00.000Z', kinds: ['deleted'] },
  },
};
