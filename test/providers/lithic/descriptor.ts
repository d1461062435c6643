import { createHash, createHmac } from 'node:crypto';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited, fixture } from '../../helpers/fixtures';

/** Its event subscription's secret, as Lithic gives it: whsec_ and the base64 of 24 bytes. */
const SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
const KEY = Buffer.from(SECRET.slice('whsec_'.length), 'base64');

/** The message id these tests send a body with: one per body, the same on a resend, as Lithic keeps it across retries. */
const messageId = (body: string | Buffer) => `msg_${createHash('sha256').update(body).digest('base64url').slice(0, 27)}`;
const idOf = (name: string) => messageId(fixture('lithic', name).text);

/** Standard Webhooks: `v1,` and the base64 HMAC-SHA256 of `<id>.<unix seconds>.<body>` (computed here, apart from the provider's kit and its library). */
function headers(body: string | Buffer, options: { id?: string; t?: number; key?: Buffer; signedId?: string; signedT?: number } = {}): Record<string, string> {
  const id = options.id ?? messageId(body);
  const t = options.t ?? Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', options.key ?? KEY).update(`${options.signedId ?? id}.${options.signedT ?? t}.`).update(body).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(t), 'webhook-signature': `v1,${signature}` };
}

const TOKEN = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';

export const lithic: ProviderDescriptor = {
  name: 'lithic',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'digital-wallet-tokenization-updated-paused',
  // Statuses beyond the seven Lithic lists are recorded, not refused: nothing is refused by value.
  refusedValues: [],
  // Required by the tokenization events only (the schema's if/then).
  alsoRequired: [[['tokenization']], [['tokenization', 'token']], [['tokenization', 'status']]],
  healthCheck: false,
  credentialHeader: 'webhook-signature',
  misconfigured: [
    { options: {}, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { auth: {} }, code: 'ERR_NTW_LITHIC_SECRET' },
    { options: { auth: { signingSecret: [] } }, code: 'ERR_NTW_LITHIC_SECRET' },
    { options: { auth: { signingSecret: 'not base64: a password' } }, code: 'ERR_NTW_LITHIC_SECRET' },
    { options: { auth: { signingSecret: 'whsec_c2hvcnQ=' } }, code: 'ERR_NTW_LITHIC_SECRET' },
    { options: { auth: { signingSecret: SECRET, toleranceMs: -1 } }, code: 'ERR_NTW_TOLERANCE' },
    { options: { auth: { signingSecret: SECRET, tolerance: 60_000 } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  secret: SECRET,
  credentials: (body, c) => headers(body, { t: Math.floor((c.now?.() ?? Date.now()) / 1000), key: Buffer.from(c.lithic!.replace(/^whsec_/, ''), 'base64') }),
  forgeries: (body, c) => {
    const t = Math.floor((c.now?.() ?? Date.now()) / 1000);
    const valid = headers(body, { t });
    return {
      'another webhook-id than the one signed': { ...valid, 'webhook-id': `${valid['webhook-id']}x` },
      'another webhook-timestamp than the one signed': { ...valid, 'webhook-timestamp': String(t - 1) },
      'without webhook-id': { 'webhook-timestamp': valid['webhook-timestamp']!, 'webhook-signature': valid['webhook-signature']! },
      'without webhook-timestamp': { 'webhook-id': valid['webhook-id']!, 'webhook-signature': valid['webhook-signature']! },
      'signed 5 minutes and 1 second ago (replayed)': headers(body, { t: t - 301 }),
      'signed 5 minutes and 1 second ahead': headers(body, { t: t + 301 }),
      'webhook-timestamp in milliseconds': headers(body, { t: t * 1000 }),
      'the signature without its v1, prefix': { ...valid, 'webhook-signature': valid['webhook-signature']!.slice(3) },
      'signed with another secret': headers(body, { t, key: Buffer.alloc(24, 8) }),
      'signed with the secret\'s text rather than its base64-decoded bytes': headers(body, { t, key: Buffer.from(SECRET) }),
      'the HMAC of the body alone': { ...valid, 'webhook-signature': `v1,${createHmac('sha256', KEY).update(body).digest('base64')}` },
    };
  },
  withPersonalData: ({ pan, email, phone }) => [
    // The token's number, and a card number as the tokenization's token: the token reference is its keyed hash.
    edited('lithic', 'tokenization-updated-active', (p) => { p.tokenization.dpan = pan; p.tokenization.token = pan; }),
    // The 2FA code's destination and the cardholder's data of an approval request.
    edited('lithic', 'tokenization-two-factor-authentication-code', (p) => { p.activation_method = { type: 'EMAIL_TO_CARDHOLDER_ADDRESS', value: email }; }),
    edited('lithic', 'tokenization-approval-request', (p) => {
      p.token_metadata.payment_account_info.account_holder_data = { phone_number: phone, email_address: email };
      p.device = { imei: '356938035643809', ip_address: '198.51.100.7', location: `card ${pan}` };
    }),
  ],
  ...jsonFormat,
  expected: {
    // Built from the types of Lithic's Node SDK and its API reference (fixtures/README.md): one per status, each name.
    'tokenization-updated-active': { id: idOf('tokenization-updated-active'), type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, occurredAt: '2025-07-01T09:13:05.000Z', kinds: ['active'] },
    'digital-wallet-tokenization-updated-paused': { id: idOf('digital-wallet-tokenization-updated-paused'), type: 'token.suspended', state: 'SUSPENDED', tokenRef: TOKEN, reasonCode: 'PAUSED', occurredAt: '2025-07-02T14:00:00.000Z', kinds: ['suspended'] },
    'tokenization-updated-deactivated': { id: idOf('tokenization-updated-deactivated'), type: 'token.deleted', state: 'DELETED', tokenRef: TOKEN, reasonCode: 'DEACTIVATED', occurredAt: '2025-07-03T08:45:10.000Z', kinds: ['deleted'] },
    'tokenization-updated-inactive': { id: idOf('tokenization-updated-inactive'), type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, occurredAt: '2025-07-01T09:12:40.000Z', kinds: [] },
    'tokenization-updated-pending-activation': { id: idOf('tokenization-updated-pending-activation'), type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, reasonCode: 'PENDING_ACTIVATION', occurredAt: '2025-07-01T09:12:35.000Z', kinds: [] },
    'tokenization-updated-pending-2fa': { id: idOf('tokenization-updated-pending-2fa'), type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, reasonCode: 'PENDING_2FA', occurredAt: '2025-07-01T09:12:36.000Z', kinds: [] },
    'tokenization-approval-request': { id: idOf('tokenization-approval-request'), type: 'notification', tokenRef: TOKEN, reason: 'VERIFICATION_REQUIRED', occurredAt: '2025-07-01T09:12:31.000Z', kinds: [] },
    'tokenization-two-factor-authentication-code': { id: idOf('tokenization-two-factor-authentication-code'), type: 'token.activation_code', tokenRef: TOKEN, activationCode: '483920', occurredAt: '2025-07-01T09:12:33.000Z', kinds: [] },
    'digital-wallet-tokenization-two-factor-authentication-code-sent': { id: idOf('digital-wallet-tokenization-two-factor-authentication-code-sent'), type: 'notification', tokenRef: TOKEN, occurredAt: '2025-07-01T09:12:34.000Z', kinds: [] },
    'tokenization-result': { id: idOf('tokenization-result'), type: 'notification', tokenRef: TOKEN, reason: 'APPROVED', occurredAt: '2025-07-01T09:13:06.000Z', kinds: [] },
  },
};
