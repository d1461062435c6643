import { expect } from 'chai';
import type { Response } from 'supertest';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited } from '../../helpers/fixtures';
import { MDES_CLIENT_NAME, RESPONSE_HOST, TEST_KEY } from './keys';
import { CLIENT_CERTIFICATE_HEADER, mdesTransport } from './transport';

const TOKEN = 'DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45';
const MTLS = { clientCertificate: { commonName: MDES_CLIENT_NAME } };

export const mastercard: ProviderDescriptor = {
  name: 'mastercard',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'token-suspended',
  // Token statuses beyond the four documented are recorded, not refused: nothing is refused by value.
  refusedValues: [],
  alsoRequired: [],
  healthCheck: false,
  // Mutual TLS: the test transport presents the client certificate this header names, and encrypts the body as MDES does.
  credentialHeader: CLIENT_CERTIFICATE_HEADER,
  secret: TEST_KEY,
  testMount: {
    options: { decryption: TEST_KEY, auth: MTLS, responseHost: RESPONSE_HOST },
    transport: mdesTransport({ certificate: TEST_KEY.certificate }),
  },
  credentials: () => ({ [CLIENT_CERTIFICATE_HEADER]: MDES_CLIENT_NAME }),
  forgeries: () => ({
    'a client certificate of a CA the server does not trust': { [CLIENT_CERTIFICATE_HEADER]: `untrusted:${MDES_CLIENT_NAME}` },
    'a trusted client certificate of another name': { [CLIENT_CERTIFICATE_HEADER]: 'ws.mastercard.com.attacker.example' },
    'a trusted client certificate of a name that ends like it': { [CLIENT_CERTIFICATE_HEADER]: `evil${MDES_CLIENT_NAME}` },
  }),
  misconfigured: [
    { options: { auth: MTLS, decryption: {} }, code: 'ERR_NTW_MASTERCARD_KEY' },
    { options: { auth: MTLS, decryption: [] }, code: 'ERR_NTW_MASTERCARD_KEY' },
    { options: { auth: MTLS, decryption: { privateKey: 'not a key' } }, code: 'ERR_NTW_MASTERCARD_KEY' },
    { options: { auth: MTLS, decryption: { privateKey: TEST_KEY.privateKey, certificate: 'not a certificate' } }, code: 'ERR_NTW_MASTERCARD_KEY' },
    { options: { auth: MTLS, decryption: TEST_KEY, responseHost: 'https://tokens.example' }, code: 'ERR_NTW_OPTION' },
    { options: { decryption: TEST_KEY }, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { decryption: TEST_KEY, auth: { clientCertificate: {} } }, code: 'ERR_NTW_MASTERCARD_CERTIFICATE' },
    { options: { decryption: TEST_KEY, auth: { clientCertificate: { commonName: '*.mastercard.com' } } }, code: 'ERR_NTW_MASTERCARD_CERTIFICATE' },
    { options: { decryption: TEST_KEY, auth: { clientCertificate: { cn: MDES_CLIENT_NAME } } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
    { options: { decryption: TEST_KEY, auth: MTLS, decryptionKey: TEST_KEY.privateKey }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  withPersonalData: ({ pan, email, phone }) => [
    // The card's first digits (its BIN) beside its last four, and a full card number where MDES sends none: never kept.
    edited('mastercard', 'token-info-updated', (p) => {
      p.requestId = 'pii-pan';
      const info = p.encryptedPayload.encryptedData.tokens[0].tokenInfo;
      info.accountPanPrefix = pan.slice(0, 6);
      info.accountPan = pan;
    }),
    // A card number as the token's reference: the token reference is its keyed hash.
    edited('mastercard', 'token-suspended', (p) => { p.requestId = 'pii-tur'; p.encryptedPayload.encryptedData.tokens[0].tokenUniqueReference = pan; }),
    edited('mastercard', 'product-config-updated', (p) => {
      p.requestId = 'pii-contact';
      Object.assign(p.encryptedPayload.encryptedData.tokens[0].productConfig, { customerServiceEmail: email, customerServicePhoneNumber: phone, issuerName: `card ${pan}` });
    }),
  ],
  ...jsonFormat,
  expectSuccess(res: Response, _id: string, duplicate: boolean, payload?: unknown): void {
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const requestId = (payload as { requestId?: string } | undefined)?.requestId;
    expect(res.body).to.deep.equal({ responseHost: RESPONSE_HOST, ...(requestId === undefined ? { responseId: res.body.responseId } : { responseId: requestId }) });
    expect(res.headers['ntw-outcome']).to.equal(duplicate ? 'duplicate' : 'accepted');
  },
  expected: {
    // MDES_Digital_Enablement.yaml's token_for_NTU example (SUSPENDED, SUSPECTED_FRAUD, suspended by the cardholder).
    'token-suspended': { id: `123456:${TOKEN}`, type: 'token.suspended', state: 'SUSPENDED', tokenRef: TOKEN, reason: 'SUSPECTED_FRAUD', occurredAt: '2025-07-03T10:15:30.000Z', kinds: ['suspended'] },
    'token-active': { id: `123457:${TOKEN}`, type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, occurredAt: '2025-07-03T09:00:00.000Z', kinds: ['active'] },
    'token-unsuspended': { id: `123458:${TOKEN}`, type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, reason: 'NOT_FRAUD', occurredAt: '2025-07-03T10:45:00.250Z', kinds: ['active'] },
    'token-deactivated': { id: `123459:${TOKEN}`, type: 'token.deleted', state: 'DELETED', tokenRef: TOKEN, reason: 'ACCOUNT_CLOSED', reasonCode: 'DEACTIVATED', occurredAt: '2025-07-04T08:00:00.000Z', kinds: ['deleted'] },
    'token-inactive': { id: `123460:${TOKEN}`, type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, occurredAt: '2025-07-02T18:30:00.000Z', kinds: [] },
    'product-config-updated': { id: `123461:${TOKEN}`, type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, changes: ['metadata'], kinds: ['active', 'updated'] },
    'token-info-updated': { id: `123462:${TOKEN}`, type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, changes: ['card'], kinds: ['active', 'updated'] },
  },
};
