import { randomBytes } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import { contentId } from '../shared/canonical-json';
import { OUTCOME_HEADER } from '../shared/outcome-header';
import type { BasicCredentials } from '../auth/shared-secret';
import type { Acknowledgement, AuthOption, DeliveryOutcome, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider, jsonAcknowledgement } from './provider';
import type { FieldsBuilt } from './fields';
import type { AdyenAuth } from './adyen-signature';
import { ADYEN_AUTH_NAMES, adyenAuthenticator, adyenHmacSignature, isHmacKey } from './adyen-signature';
import { parseProviderTime } from './time';
import type { AcknowledgementReading, PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { KEY_FLAG, checkPair, jsonOf, readJsonAcknowledgement, sharedSecretHeaders, unsupportedKind } from './test-kit';

export type { AdyenAuth } from './adyen-signature';

/** A network token's status, as Adyen's Configuration webhooks and Balance Platform API enumerate it. */
export type AdyenNetworkTokenStatus = 'inactive' | 'active' | 'suspended' | 'closed';

/** The Issuing (Balance Platform) network token webhooks: a token's provisioning began, or its status changed. */
export type AdyenNetworkTokenEvent = 'balancePlatform.networkToken.created' | 'balancePlatform.networkToken.updated';

/** The Tokenization webhooks: a stored payment method (token) was created, updated, disabled, or already existed. */
export type AdyenTokenizationEvent = 'recurring.token.created' | 'recurring.token.updated' | 'recurring.token.disabled' | 'recurring.token.alreadyExisting';

/** The network token of a `balancePlatform.networkToken.*` webhook: its id (the token reference), never its number. */
export interface AdyenNetworkToken {
  readonly id: string;
  readonly status?: AdyenNetworkTokenStatus | (string & {});
  /** `approved`, `declined` or `requiresAuthentication` (the network-token page spells it `requireAuthentication`). */
  readonly decision?: string;
  readonly balancePlatform?: string;
  readonly paymentInstrumentId?: string;
  readonly tokenLastFour?: string;
  /** `wallet` or `cof`. */
  readonly type?: string;
  readonly tokenRequestor?: { readonly id?: string; readonly name?: string };
  readonly [field: string]: unknown;
}

/** The stored payment method of a `recurring.token.*` webhook. */
export interface AdyenStoredToken {
  /** The token's id: the token reference. */
  readonly storedPaymentMethodId: string;
  readonly merchantAccount?: string;
  readonly shopperReference?: string;
  /** The payment method's type (`visastandarddebit`). */
  readonly type?: string;
  /** What happened, for audit (`created`, `updated`, `alreadyExisting`). */
  readonly operation?: string;
}

/** A Configuration webhook about a network token (Adyen Issuing). It carries no event id of its own. */
export interface AdyenNetworkTokenNotification {
  readonly type: AdyenNetworkTokenEvent;
  readonly environment?: string;
  /** When the event was queued. */
  readonly timestamp?: string;
  readonly data: AdyenNetworkToken;
}

/** A Tokenization webhook. */
export interface AdyenTokenizationNotification {
  readonly type: AdyenTokenizationEvent;
  readonly environment?: string;
  /** The PSP reference of what triggered the webhook: shared by the webhooks one request triggers (so not unique alone). */
  readonly eventId: string;
  readonly createdAt?: string;
  readonly version?: string;
  readonly data: AdyenStoredToken;
}

/** Any other webhook the same Adyen endpoint receives (another Configuration event): a `notification`. */
export interface AdyenOtherNotification {
  readonly type: string & {};
  readonly environment?: string;
  readonly timestamp?: string;
  readonly eventId?: string;
  readonly createdAt?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** What an Adyen webhook endpoint receives. */
export type AdyenPayload = AdyenNetworkTokenNotification | AdyenTokenizationNotification | AdyenOtherNotification;

/** `auth: { hmacKey, basic? }` (see `AdyenAuth`), `'none'` for local testing, or an `authenticate` hook of yours. */
export type AdyenOptions = ProviderOptions & AuthOption<AdyenAuth>;

/** What the test kit signs with: the webhook's HMAC key, and the basic credentials it sends, if any. */
export interface AdyenTestSecret {
  readonly hmacKey: string;
  readonly basic?: BasicCredentials;
}

const NETWORK_TOKEN: ReadonlySet<string> = new Set<AdyenNetworkTokenEvent>(['balancePlatform.networkToken.created', 'balancePlatform.networkToken.updated']);
const TOKENIZATION: ReadonlySet<string> = new Set<AdyenTokenizationEvent>(['recurring.token.created', 'recurring.token.updated', 'recurring.token.disabled', 'recurring.token.alreadyExisting']);

const isNetworkToken = (raw: AdyenPayload): raw is AdyenNetworkTokenNotification => NETWORK_TOKEN.has(raw.type);
const isTokenization = (raw: AdyenPayload): raw is AdyenTokenizationNotification => TOKENIZATION.has(raw.type);

/**
 * The dedupe key, the same on each of Adyen's retries (a retry resends the message as it was queued).
 * A Tokenization webhook's `eventId` is the PSP reference of what triggered it: every webhook one request
 * triggers shares it (the API reference shows one `eventId` in all four types), and a request that disables
 * all of a shopper's stored details triggers one `recurring.token.disabled` per token. The key is therefore the
 * type, the `eventId` and the token: `recurring.token.disabled:QBQQ9DLNRHHKGK38:M5N7TQ4TG5PFWR50`.
 * A Balance Platform webhook carries no event id at all (its `type`, `timestamp` and `data`): the key is then the
 * hash of the message itself (`sha256:…`, of its canonical JSON), as for every provider's id-less notification.
 * Two events of one token differ in their status, decision or `timestamp` (when each was queued); the only
 * collision is one token reported twice in one state within one `timestamp` (whole seconds in Adyen's examples).
 */
export function adyenEventId(raw: AdyenPayload): string {
  const { eventId } = raw as { readonly eventId?: unknown };
  if (typeof eventId !== 'string') return contentId(raw);
  const token = isTokenization(raw) ? raw.data.storedPaymentMethodId : undefined;
  return [raw.type, eventId, ...(token === undefined ? [] : [token])].join(':');
}

/**
 * Adyen's statuses as EMVCo states (Adyen's network-token page: inactive "not yet activated", active "ready for
 * payments", suspended "temporarily disabled", closed "permanently closed", a final status its API cannot change).
 */
const STATUSES: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  inactive: { state: 'INACTIVE' },
  active: { state: 'ACTIVE' },
  suspended: { state: 'SUSPENDED' },
  closed: { state: 'DELETED', reasonCode: 'closed' },
};

/** `fields` with their `reason` and time, when the webhook gives them. */
function completed(fields: FieldsBuilt, reason: string | undefined, time: string | undefined): NormalizedFields {
  if (reason) fields.reason = reason;
  if (time) fields.occurredAt = parseProviderTime(time);
  return fields;
}

function normalizeNetworkToken(raw: AdyenNetworkTokenNotification): NormalizedFields {
  const { id: tokenRef, status, decision } = raw.data;
  const mapped = status === undefined ? undefined : STATUSES[status];
  // No status, or one Adyen has not documented: the token changed in some way; fetch it to learn how.
  const fields: FieldsBuilt = mapped
    ? { type: stateEventType(mapped.state), tokenRef, state: mapped.state, changes: [] }
    : { type: 'token.updated', tokenRef, changes: ['status'] };
  const reasonCode = mapped ? mapped.reasonCode : status;
  if (reasonCode) fields.reasonCode = reasonCode;
  return completed(fields, decision, raw.timestamp);
}

/**
 * A stored token is usable once created (`ACTIVE`) and never again once disabled (`DELETED`, reasonCode `disabled`);
 * `updated` changed its details (a card network's update among them): `changes: ['card']`. `alreadyExisting` says a
 * request matched a token that exists, and changes nothing: a `notification`.
 */
function normalizeTokenization(raw: AdyenTokenizationNotification): NormalizedFields {
  const { storedPaymentMethodId: tokenRef, operation } = raw.data;
  return completed(tokenizationFields(raw.type, tokenRef), operation, raw.createdAt);
}

function tokenizationFields(type: AdyenTokenizationEvent, tokenRef: string): FieldsBuilt {
  switch (type) {
    case 'recurring.token.created': return { type: 'token.active', tokenRef, state: 'ACTIVE', changes: [] };
    case 'recurring.token.disabled': return { type: 'token.deleted', tokenRef, state: 'DELETED', reasonCode: 'disabled', changes: [] };
    case 'recurring.token.updated': return { type: 'token.updated', tokenRef, changes: ['card'] };
    default: return { type: 'notification', kind: type, tokenRef, changes: [] };
  }
}

function normalize(raw: AdyenPayload): NormalizedFields {
  if (isNetworkToken(raw)) return normalizeNetworkToken(raw);
  if (isTokenization(raw)) return normalizeTokenization(raw);
  return completed({ type: 'notification', kind: raw.type, tokenRef: '', changes: [] }, undefined, raw.timestamp ?? raw.createdAt);
}

const ACCEPTED = { notificationResponse: '[accepted]' } as const;

/**
 * Adyen accepts any 2xx. Until 2024 (Configuration webhooks) and 2025 (Tokenization webhooks) its reference asked
 * for `[accepted]` in the body, as the `notificationResponse` of its response schema: that is the body sent, which
 * both the current and the earlier reference accept. A refusal is in this package's JSON error format.
 */
function acknowledge(outcome: DeliveryOutcome): Acknowledgement {
  return outcome.ok ? { status: 200, body: ACCEPTED } : jsonAcknowledgement(outcome);
}

/** The answer names no event: accepted by its status, a duplicate by the outcome header, the id of what was sent. */
function readAcknowledgement(status: number, headers: Readonly<Record<string, string>>, body: string, sent: string): AcknowledgementReading {
  if (status < 200 || status >= 300) return readJsonAcknowledgement(status, headers, body);
  const payload = jsonOf(sent) as AdyenPayload | undefined;
  const outcome = headers[OUTCOME_HEADER];
  const id = payload !== null && typeof payload === 'object' && typeof payload.type === 'string' ? adyenEventId(payload) : undefined;
  return { accepted: true, ...(outcome ? { duplicate: outcome === 'duplicate' } : {}), ...(id ? { id } : {}) };
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A PSP reference as Adyen writes them: 16 letters and digits. */
const pspReference = () => [...randomBytes(16)].map((b) => ALPHANUMERIC[b % 36]).join('');

const NETWORK_TOKEN_ID = 'NT32265223222B5HJ6KV3CZ7Q2MD';
const STORED_TOKEN_ID = 'M5N7TQ4TG5PFWR50';
const KIND_STATUSES: Partial<Record<PayloadKind, AdyenNetworkTokenStatus>> = { active: 'active', suspended: 'suspended', deleted: 'closed' };

/**
 * A network token's status change as Adyen Issuing sends it (`active`, `suspended`, `deleted`: `closed`), or a
 * Tokenization webhook (`updated`; `notification`: `recurring.token.alreadyExisting`). A Balance Platform webhook
 * has no id to override: its key is its content, so builds differ by their `timestamp` (to the millisecond here).
 */
function payload(kind: PayloadKind, o: PayloadOverrides<AdyenPayload>): AdyenPayload {
  const at = (o.occurredAt ?? new Date()).toISOString();
  const status = KIND_STATUSES[kind];
  if (status) {
    return {
      data: {
        balancePlatform: 'YOUR_BALANCE_PLATFORM',
        decision: 'approved',
        id: o.tokenRef ?? NETWORK_TOKEN_ID,
        paymentInstrumentId: 'PI32272223222B59M5TM658DT',
        status,
        tokenLastFour: '7723',
        tokenRequestor: { id: '40010030273', name: 'APPLE_PAY' },
        type: 'wallet',
      },
      environment: 'test',
      timestamp: at,
      type: 'balancePlatform.networkToken.updated',
    };
  }
  if (kind !== 'updated' && kind !== 'notification') return unsupportedKind('adyen', kind);
  const operation = kind === 'updated' ? 'updated' : 'alreadyExisting';
  return {
    createdAt: at,
    eventId: o.id ?? pspReference(),
    environment: 'test',
    data: {
      merchantAccount: 'YOUR_MERCHANT_ACCOUNT',
      storedPaymentMethodId: o.tokenRef ?? STORED_TOKEN_ID,
      type: 'visastandarddebit',
      operation,
      shopperReference: 'YOUR_SHOPPER_REFERENCE',
    },
    type: `recurring.token.${operation}`,
  };
}

const testKit: ProviderTestKit<AdyenPayload, AdyenTestSecret> = {
  kinds: ['active', 'suspended', 'deleted', 'updated', 'notification'],
  payload,
  sign: (body, { secret, basic }) => {
    const credentials = secret?.basic ?? basic;
    return {
      headers: {
        ...(secret ? { hmacsignature: adyenHmacSignature(body, secret.hmacKey) } : {}),
        ...(credentials ? sharedSecretHeaders({ basic: credentials }) : {}),
      },
    };
  },
  readAcknowledgement,
  options: ({ secret, basic }) => {
    const credentials = secret?.basic ?? basic;
    if (!secret && !credentials) return { auth: 'none' };
    return { auth: { ...(secret ? { hmacKey: secret.hmacKey } : {}), ...(credentials ? { basic: credentials } : {}) } };
  },
  cli: {
    flags: {
      key: KEY_FLAG('the HMAC key of its webhook (hexadecimal)'),
      basic: { spec: '--basic <username:password>', about: 'the basic credentials its webhook sends', check: checkPair('<username>:<password>', ':') },
    },
    send: { flags: ['key', 'basic'], what: '--key <HMAC key> (adyen({ auth: { hmacKey } })), and --basic <username>:<password> when its webhook sends basic credentials' },
    check(flags) {
      if (flags.key !== undefined && !isHmacKey(flags.key)) throw new Error('adyen signs with the HMAC key of its webhook: --key must be hexadecimal, 64 digits as Adyen shows it');
    },
    credentials(flags) {
      const at = flags.basic?.indexOf(':') ?? -1;
      const basic = flags.basic !== undefined && at > 0 ? { username: flags.basic.slice(0, at), password: flags.basic.slice(at + 1) } : undefined;
      if (flags.key === undefined) return basic ? { basic } : {};
      return { secret: { hmacKey: flags.key, ...(basic ? { basic } : {}) } };
    },
    example: { kind: 'suspended', flags: { key: '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056' } },
  },
};

/**
 * Adyen (`webhooks.adyen({ auth: { hmacKey, basic? } })`): Issuing's network token webhooks
 * (`balancePlatform.networkToken.*`) and the Tokenization webhooks (`recurring.token.*`). Both families sign and
 * authenticate the same way and expect the same answer, and one endpoint may receive both: one provider.
 */
export const adyen = defineProvider<'adyen', AdyenPayload, AdyenOptions, AdyenTestSecret>({
  optionNames: { auth: ADYEN_AUTH_NAMES } satisfies NamesOf<Omit<AdyenOptions, keyof ProviderOptions>>,
  name: 'adyen',
  schema: loadSchema('adyen'),
  // Personal data of the other Configuration webhooks the endpoint may receive (account holders, card orders).
  secretKeys: ['contactDetails', 'deliveryContact', 'address', 'bulkAddress', 'phone', 'phoneNumber', 'fullPhoneNumber', 'email',
    'cardholderName', 'firstName', 'lastName', 'fullName', 'iban', 'accountNumber'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? adyenAuthenticator(options.auth) : undefined),

  eventId: (raw) => adyenEventId(raw),
  normalize,
  acknowledge,
  testKit,
});
