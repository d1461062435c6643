import { createHash, createHmac } from 'node:crypto';
import type { ProviderDescriptor } from '../descriptor';
import { jsonFormat } from '../descriptor';
import { edited, fixture } from '../../helpers/fixtures';

/** The webhook secret. */
const SECRET = 'razorpay-webhook-secret-0123456789';

/** `X-Razorpay-Signature`: the hex HMAC-SHA256 of the exact body with the webhook secret (computed here, apart from the provider's kit). */
const signature = (body: string | Buffer, secret: string) => createHmac('sha256', secret).update(body).digest('hex');

/** The `x-razorpay-event-id` the tests send with a body: one per body, as Razorpay's is one per event (14 characters, as Razorpay's ids). */
const eventIdOf = (body: string | Buffer) => createHash('sha256').update('event-id:').update(body).digest('base64url').slice(0, 14);
const idOf = (name: string) => eventIdOf(fixture('razorpay', name).text);

const TOKEN = 'token_4lsdksD31GaZ09';
const SPT = 'spt_1234abcd';

export const razorpay: ProviderDescriptor = {
  name: 'razorpay',
  // No seed document: each fixture's source is cited in fixtures/README.md.
  seedFolders: [],
  sample: 'token-suspended',
  // Other events are notifications and statuses are free: nothing is refused by value.
  refusedValues: [],
  // Required of token events (the schema's if/then), and the envelope's event name (either envelope).
  alsoRequired: [[['payload', 'token']], [['payload', 'token', 'entity', 'id']], [['event']], [['payload']]],
  healthCheck: false,
  credentialHeader: 'x-razorpay-signature',
  misconfigured: [
    { options: {}, code: 'ERR_NTW_AUTH_REQUIRED' },
    { options: { auth: {} }, code: 'ERR_NTW_RAZORPAY_SECRET' },
    { options: { auth: { webhookSecret: 'short-secret' } }, code: 'ERR_NTW_RAZORPAY_SECRET' },
    { options: { auth: { webhookSecret: [] } }, code: 'ERR_NTW_RAZORPAY_SECRET' },
    { options: { auth: { secret: SECRET } }, code: 'ERR_NTW_UNKNOWN_OPTION' },
  ],
  secret: SECRET,
  credentials: (body, c) => ({ 'x-razorpay-signature': signature(body, c.razorpay!), 'x-razorpay-event-id': eventIdOf(body) }),
  forgeries: (body, c) => {
    const valid = signature(body, c.razorpay!);
    const id = eventIdOf(body);
    return {
      'the signature in base64 rather than hex': { 'x-razorpay-signature': Buffer.from(valid, 'hex').toString('base64'), 'x-razorpay-event-id': id },
      'the plain SHA-256 of the body, without the secret': { 'x-razorpay-signature': createHash('sha256').update(body).digest('hex'), 'x-razorpay-event-id': id },
      'signed with another secret': { 'x-razorpay-signature': signature(body, `${c.razorpay!}-old`), 'x-razorpay-event-id': id },
      'the event id alone': { 'x-razorpay-event-id': id },
    };
  },
  withPersonalData: ({ pan, email, phone }) => [
    // A payment and a customer ride along with token events (as in Razorpay's examples): their contact details.
    edited('razorpay', 'token-activated-with-payment', (p) => { p.payload.payment.entity.email = email; p.payload.payment.entity.contact = phone; p.payload.payment.entity.card_id = `card_${pan}`; }),
    edited('razorpay', 'service-provider-activated', (p) => { p.payload.customer.entity.email = email; p.payload.customer.entity.contact = phone; p.payload.token.entity.customer.name = 'Jane Doe'; }),
    // A card number where the last four digits belong, and as the token's id.
    edited('razorpay', 'token-suspended', (p) => { p.payload.token.entity.card.last4 = pan; p.payload.token.entity.id = `token_${pan}`; }),
  ],
  ...jsonFormat,
  expected: {
    'token-initiated': { id: idOf('token-initiated'), type: 'token.inactive', state: 'INACTIVE', tokenRef: TOKEN, reasonCode: 'initiated', kinds: [] },
    'token-activated': { id: idOf('token-activated'), type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, kinds: ['active'] },
    'token-activated-with-payment': { id: idOf('token-activated-with-payment'), type: 'token.active', state: 'ACTIVE', tokenRef: TOKEN, kinds: ['active'] },
    'token-suspended': { id: idOf('token-suspended'), type: 'token.suspended', state: 'SUSPENDED', tokenRef: TOKEN, kinds: ['suspended'] },
    'token-deactivated': { id: idOf('token-deactivated'), type: 'token.deleted', state: 'DELETED', tokenRef: TOKEN, reasonCode: 'deactivated', kinds: ['deleted'] },
    'token-expiry-updated': { id: idOf('token-expiry-updated'), type: 'token.updated', state: 'ACTIVE', tokenRef: TOKEN, changes: ['expiry'], kinds: ['updated'] },
    'service-provider-activated': { id: idOf('service-provider-activated'), type: 'token.active', state: 'ACTIVE', tokenRef: 'spt_P4te4IRw3GtimW', occurredAt: '2024-10-04T08:34:49.000Z', kinds: ['active'] },
    'service-provider-activated-with-payment': { id: idOf('service-provider-activated-with-payment'), type: 'token.active', state: 'ACTIVE', tokenRef: SPT, kinds: ['active'] },
    'service-provider-cancelled': { id: idOf('service-provider-cancelled'), type: 'token.suspended', state: 'SUSPENDED', tokenRef: SPT, reasonCode: 'cancelled', kinds: ['suspended'] },
    'service-provider-deactivated': { id: idOf('service-provider-deactivated'), type: 'token.deleted', state: 'DELETED', tokenRef: SPT, reasonCode: 'deactivated', kinds: ['deleted'] },
    'service-provider-failed': { id: idOf('service-provider-failed'), type: 'token.deleted', state: 'DELETED', tokenRef: 'spt_RCEc38VJqgSyQ9', reasonCode: 'failed', occurredAt: '2025-09-29T13:38:56.000Z', kinds: ['deleted'] },
  },
};
