import { randomUUID } from 'node:crypto';
import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { ConfigurationError } from '../errors';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import { contentId } from '../shared/canonical-json';
import type { AuthenticateFn, NormalizeContext, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import type { CybersourceSignatureOptions } from './cybersource-signature';
import { cybersourceSignature, cybersourceSignatureAuthenticator } from './cybersource-signature';
import { parseProviderTime } from './time';
import type { PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { KEY_FLAG, sharedSecretHeaders, unsupportedKind } from './test-kit';

export type CybersourceReason =
  | 'PROVISIONED' | 'TOKEN_STATUS_UPDATED' | 'TOKEN_UPDATED' | 'CARD_UPDATED'
  | 'TOKEN_EXPIRY_UPDATED' | 'METADATA_UPDATED' | 'REDIGITALIZATION' | 'REDIGITILIZATION';

/** A link of a Cybersource notification's `_links`: the token or instrument it names. */
export interface CybersourceLink {
  readonly href?: string;
  readonly id?: string;
  /** `ACTIVE`, `SUSPENDED`, `DELETED`; also documented: `EXPIRED`, `UNPROVISIONED`. */
  readonly state?: string;
}

/** One notification's `payload` (an object; the older form sends an array of them, each one an event: `split`). */
export interface CybersourceNotification {
  readonly organizationId?: string;
  readonly data: {
    readonly reason?: CybersourceReason | (string & {});
    readonly id: string;
    readonly type?: string;
    readonly version?: string;
    readonly _links?: {
      readonly 'tokenized-cards'?: readonly CybersourceLink[];
      readonly instrumentIdentifiers?: readonly CybersourceLink[];
      readonly paymentInstruments?: readonly CybersourceLink[];
      readonly customers?: readonly CybersourceLink[];
    };
  };
}

/** A notification of a `tokenManagement` subscription, in any of the shapes Cybersource documents. */
export interface CybersourcePayload {
  readonly eventType: string;
  /** The older form's notification id. */
  readonly notificationId?: string;
  readonly webhookId?: string;
  readonly productId?: string;
  readonly organizationId?: string;
  readonly eventDate?: string;
  readonly transactionTraceId?: string;
  readonly retryNumber?: number | string;
  readonly requestType?: string;
  readonly payload?: CybersourceNotification | readonly CybersourceNotification[];
  /** The test webhook's sample message. */
  readonly payloads?: Readonly<Record<string, unknown>>;
}

/** Cybersource's digital signature keys by `keyId`, each base64 as Cybersource shows it. */
export type CybersourceKeys = CybersourceSignatureOptions['keys'];

/**
 * `keys` to verify `v-c-signature`; or `auth: 'none'`, which accepts unsigned deliveries (logs a warning at
 * start-up), only for local testing, and so takes no keys; or an `authenticate` hook of yours instead.
 */
export type CybersourceOptions = ProviderOptions & Partial<Omit<CybersourceSignatureOptions, 'keys'>> & (
  | { readonly authenticate: AuthenticateFn; readonly keys?: CybersourceKeys; readonly auth?: 'none' }
  | { readonly auth: 'none'; readonly keys?: undefined }
  | { readonly keys: CybersourceKeys; readonly auth?: undefined }
);

/** The network-token lifecycle events; anything else on the subscription is a `notification`. */
const LIFECYCLE: ReadonlySet<string> = new Set(['tms.networktoken.provisioned', 'tms.networktoken.updated']);

/** What each reason changed. `TOKEN_UPDATED` is a status and expiry change together. */
const CHANGES: Readonly<Record<string, readonly TokenChange[]>> = {
  PROVISIONED: Object.freeze([]),
  TOKEN_STATUS_UPDATED: Object.freeze([]),
  TOKEN_UPDATED: Object.freeze(['status', 'expiry']),
  CARD_UPDATED: Object.freeze(['card']),
  TOKEN_EXPIRY_UPDATED: Object.freeze(['expiry']),
  METADATA_UPDATED: Object.freeze(['metadata']),
  REDIGITALIZATION: Object.freeze(['redigitalization']),
  REDIGITILIZATION: Object.freeze(['redigitalization']),
};

/**
 * A card link's `state` as an EMVCo state. `EXPIRED` ("a temporary status … the token has passed its expiration
 * date", not chargeable, not final: a later update can revive it) is `SUSPENDED`; `UNPROVISIONED` (provisioning
 * failed) is `INACTIVE`. Both keep the provider's word as `reasonCode`. An unknown state changes nothing.
 */
function stateOf(linkState: string | undefined): { readonly state?: TokenState; readonly reasonCode?: string } {
  switch (linkState) {
    case 'ACTIVE': case 'SUSPENDED': case 'DELETED': case 'INACTIVE': return LINK_STATES[linkState];
    case 'EXPIRED': return EXPIRED;
    case 'UNPROVISIONED': return UNPROVISIONED;
    case undefined: return NO_STATE;
    default: return { reasonCode: linkState };
  }
}

// The answers of `stateOf` that do not depend on an unknown word: made once.
const LINK_STATES = {
  ACTIVE: { state: 'ACTIVE' }, SUSPENDED: { state: 'SUSPENDED' }, DELETED: { state: 'DELETED' }, INACTIVE: { state: 'INACTIVE' },
} as const;
const EXPIRED = { state: 'SUSPENDED', reasonCode: 'EXPIRED' } as const;
const UNPROVISIONED = { state: 'INACTIVE', reasonCode: 'UNPROVISIONED' } as const;
const NO_STATE = {} as const;

/** The notification of a payload that is one event: its `payload`, or the only element of the older form's array. */
function notificationOf(raw: CybersourcePayload): CybersourceNotification | undefined {
  return Array.isArray(raw.payload) ? (raw.payload as readonly CybersourceNotification[])[0] : raw.payload as CybersourceNotification | undefined;
}

const lastSegment = (href: string | undefined) => href?.split('/').filter(Boolean).at(-1);
const linkId = (link: CybersourceLink | undefined) => link?.id ?? lastSegment(link?.href);

/**
 * The token a notification is about: its tokenized card's id; without one (the Webhooks guide's example), the
 * instrument it names, as `instrumentIdentifier:<id>` or `paymentInstrument:<id>`; else `''`.
 */
function tokenRefOf(links: NonNullable<CybersourceNotification['data']['_links']>): string {
  const card = linkId(links['tokenized-cards']?.[0]);
  if (card) return card;
  const instrument = linkId(links.instrumentIdentifiers?.[0]);
  if (instrument) return `instrumentIdentifier:${instrument}`;
  const paymentInstrument = linkId(links.paymentInstruments?.[0]);
  return paymentInstrument ? `paymentInstrument:${paymentInstrument}` : '';
}

/**
 * Under a payload-only signature the envelope (`eventType`, `eventDate`, `notificationId`) is not signed and
 * decides nothing: the event is read from the payload alone, dated by its receipt.
 */
function normalize(raw: CybersourcePayload, context: NormalizeContext): NormalizedFields {
  const envelopeSigned = context.scope !== 'payload';
  const occurredAt = envelopeSigned && raw.eventDate ? parseProviderTime(raw.eventDate) : undefined;
  const notification = notificationOf(raw);
  if (!notification) {
    const test = raw.payloads?.testPayload !== undefined;
    const fields: FieldsBuilt = { type: 'notification', kind: test ? 'test' : raw.eventType, tokenRef: '', changes: [] };
    if (test) fields.reason = 'Test webhook';
    if (occurredAt) fields.occurredAt = occurredAt;
    return fields;
  }
  const { data } = notification;
  const links = data._links ?? {};
  const tokenRef = tokenRefOf(links);
  const lifecycle = envelopeSigned
    ? LIFECYCLE.has(raw.eventType)
    : data.reason !== undefined || links['tokenized-cards'] !== undefined || /^tokenizedCard/.test(data.type ?? '');
  if (!lifecycle) {
    const fields: FieldsBuilt = { type: 'notification', kind: envelopeSigned ? raw.eventType : (data.type ?? 'unknown'), tokenRef, changes: [] };
    if (data.reason) fields.reason = data.reason;
    if (occurredAt) fields.occurredAt = occurredAt;
    return fields;
  }
  const card = links['tokenized-cards']?.[0];
  const reason = data.reason ?? (envelopeSigned && raw.eventType === 'tms.networktoken.provisioned' ? 'PROVISIONED' : undefined);
  const linked = stateOf(card?.state);
  const state = linked.state ?? (reason === 'PROVISIONED' && card ? 'ACTIVE' : undefined);
  const changes = (reason && CHANGES[reason]) || NO_CHANGES;
  // A state reported with any reason is the token's state: its handler fires when it changes (or is first known).
  // Without a state: a status update says to fetch the token; so does a notification naming only an instrument
  // (a token provisioned or updated for it, the Webhooks guide's example and the older form).
  const fields: FieldsBuilt = state
    ? { type: stateEventType(state), tokenRef, state, changes }
    : {
      type: 'token.updated',
      tokenRef,
      changes: reason === 'TOKEN_STATUS_UPDATED' ? STATUS_CHANGED : !card && (reason === 'PROVISIONED' || reason === undefined) ? TOKEN_CHANGED : changes,
    };
  if (reason) fields.reason = reason;
  if (linked.reasonCode) fields.reasonCode = linked.reasonCode;
  if (occurredAt) fields.occurredAt = occurredAt;
  return fields;
}

// Shared by the events that carry them, frozen like the events themselves.
const NO_CHANGES: readonly TokenChange[] = Object.freeze([]);
const STATUS_CHANGED: readonly TokenChange[] = Object.freeze(['status']);
const TOKEN_CHANGED: readonly TokenChange[] = Object.freeze(['token']);

/** A key of `cybersource({ keys })` to sign test deliveries with: its id and its base64 secret. */
export interface CybersourceTestKey {
  readonly keyId: string;
  readonly key: string;
}

const STATE = { active: 'ACTIVE', suspended: 'SUSPENDED', deleted: 'DELETED' } as const;

/** A `tms.networktoken.*` notification (the current envelope), or a `tms.token.updated` one. */
function payload(kind: PayloadKind, o: PayloadOverrides<CybersourcePayload>): CybersourcePayload {
  const id = o.id ?? randomUUID().replace(/-/g, '').toUpperCase();
  const token = o.tokenRef ?? '38F377C4044F251AE063AF598E0A8B67';
  const state = kind === 'active' || kind === 'suspended' || kind === 'deleted' ? STATE[kind] : undefined;
  if (kind === 'activation_code') unsupportedKind('cybersource', kind);
  return {
    eventType: kind === 'notification' ? 'tms.token.updated' : kind === 'active' ? 'tms.networktoken.provisioned' : 'tms.networktoken.updated',
    webhookId: 'e339e8b1-d540-4efd-e053-8d588e0a2de5',
    productId: 'tokenManagement',
    organizationId: 'test_organization',
    eventDate: (o.occurredAt ?? new Date()).toISOString().slice(0, 19),
    transactionTraceId: randomUUID(),
    retryNumber: 0,
    requestType: 'NEW',
    payload: {
      organizationId: 'test_organization',
      data: {
        reason: kind === 'active' ? 'PROVISIONED' : kind === 'updated' ? 'TOKEN_EXPIRY_UPDATED' : 'TOKEN_STATUS_UPDATED',
        id,
        type: kind === 'active' ? 'tokenizedCardEnrollments' : 'tokenizedCardUpdates',
        version: '1.0',
        _links: {
          'tokenized-cards': [{ href: `/tms/v2/tokenized-cards/${token}`, id: token, ...(state ? { state } : {}) }],
          instrumentIdentifiers: [{ href: '/tms/v1/instrumentidentifiers/7030010000056432345', id: '7030010000056432345' }],
        },
      },
    },
  };
}

const TAKES = '--key-id <id> --key <base64 key>, a key of cybersource({ keys })';

const testKit: ProviderTestKit<CybersourcePayload, CybersourceTestKey> = {
  kinds: ['active', 'suspended', 'deleted', 'updated', 'notification'],
  payload,
  sign: (body, credentials, now) => ({
    headers: { ...(credentials.secret ? { 'v-c-signature': cybersourceSignature(body, credentials.secret, { t: now }) } : {}), ...sharedSecretHeaders(credentials) },
  }),
  options: (credentials) => (credentials.secret ? { keys: { [credentials.secret.keyId]: credentials.secret.key } } : { auth: 'none' }),
  cli: {
    flags: { keyId: { spec: '--key-id <id>', about: 'the id of the key (with --key)', shown: true }, key: KEY_FLAG('the base64 key (with --key-id)') },
    send: { flags: ['keyId', 'key'], what: TAKES },
    check(flags) {
      if (flags.key !== undefined && flags.keyId === undefined) {
        throw new Error('cybersource signs with a key id and its key: --key needs --key-id <id>, the id the key has in cybersource({ keys })');
      }
      if (flags.keyId !== undefined && flags.key === undefined) throw new Error('cybersource signs with a key id and its key: --key-id needs --key <base64 key>');
    },
    credentials: (flags) => (flags.key !== undefined && flags.keyId !== undefined ? { secret: { keyId: flags.keyId, key: flags.key } } : {}),
    example: { kind: 'suspended', flags: { keyId: 'demo-key', key: Buffer.from('demo-cybersource-shared-secret!!').toString('base64') } },
  },
};

/** The older form's notifications, when its `payload` array holds several: each one an event, with the envelope. */
function split(raw: CybersourcePayload): readonly CybersourcePayload[] | undefined {
  const notifications = raw.payload;
  if (!Array.isArray(notifications) || notifications.length < 2) return undefined;
  return (notifications as readonly CybersourceNotification[]).map((notification) => ({ ...raw, payload: notification }));
}

export const cybersource = defineProvider<'cybersource', CybersourcePayload, CybersourceOptions, CybersourceTestKey>({
  optionNames: {
    keys: true, toleranceMs: true, futureToleranceMs: true, now: true, auth: true,
  } satisfies NamesOf<Omit<CybersourceOptions, keyof ProviderOptions>>,
  name: 'cybersource',
  schema: loadSchema('cybersource'),
  healthCheck: true,

  authenticator(options) {
    if (options.keys === undefined) {
      throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY',
        "cybersource() needs keys: { [keyId]: base64Key } to verify v-c-signature (or auth: 'none' for local testing)");
    }
    return cybersourceSignatureAuthenticator(options as CybersourceSignatureOptions);
  },

  /** `payload.data.id` (kept across retries); the older form's `notificationId` only when the envelope is signed; else the content's hash (the test webhook). */
  eventId: (raw, _rawBody, _options, context) => notificationOf(raw)?.data.id
    ?? (context.scope !== 'payload' ? raw.notificationId : undefined) ?? contentId(raw),

  split,
  normalize: (raw, _options, context) => normalize(raw, context),
  testKit,
});
