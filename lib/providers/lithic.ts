import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import { contentId } from '../shared/canonical-json';
import type { AuthOption, NormalizeContext, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import type { LithicAuth } from './lithic-signature';
import { LITHIC_AUTH_NAMES, MESSAGE_ID, lithicSignatureAuthenticator, lithicSignatureHeaders } from './lithic-signature';
import { parseProviderTime } from './time';
import type { PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { KEY_FLAG, jsonOf, unsupportedKind } from './test-kit';

export type { LithicAuth } from './lithic-signature';

/** A tokenization's status, as Lithic's API and SDKs enumerate it. */
export type LithicTokenizationStatus = 'ACTIVE' | 'DEACTIVATED' | 'INACTIVE' | 'PAUSED' | 'PENDING_2FA' | 'PENDING_ACTIVATION' | 'UNKNOWN';

/** The events that carry a tokenization whose status changed (`digital_wallet.*` is the older name Lithic will deprecate). */
export type LithicTokenizationUpdate = 'tokenization.updated' | 'digital_wallet.tokenization_updated';

/** Lithic's other tokenization events: a provisioning request, its result, a 2FA code for the cardholder, that code sent. */
export type LithicTokenizationEvent =
  | 'tokenization.approval_request' | 'tokenization.result'
  | 'tokenization.two_factor_authentication_code' | 'tokenization.two_factor_authentication_code_sent'
  | 'digital_wallet.tokenization_approval_request' | 'digital_wallet.tokenization_result'
  | 'digital_wallet.tokenization_two_factor_authentication_code' | 'digital_wallet.tokenization_two_factor_authentication_code_sent';

/** A card's tokenization: its `token` is the token reference; its `dpan`, the token's number, is never kept. */
export interface LithicTokenization {
  readonly token: string;
  readonly status: LithicTokenizationStatus | (string & {});
  readonly account_token?: string;
  readonly card_token?: string;
  readonly created_at?: string;
  readonly updated_at?: string;
  readonly dpan?: string | null;
  readonly token_requestor_name?: string;
  readonly token_unique_reference?: string;
  readonly tokenization_channel?: 'DIGITAL_WALLET' | 'MERCHANT' | (string & {});
  readonly device_id?: string | null;
  readonly digital_card_art_token?: string | null;
  readonly payment_account_reference_id?: string | null;
  /** The tokenization's events: each with its own `token`, `created_at`, `result` (`TOKEN_ACTIVATED`, …) and `type`. */
  readonly events?: readonly { readonly token?: string; readonly created_at?: string; readonly result?: string; readonly type?: string; readonly [field: string]: unknown }[];
}

/** `tokenization.updated` (or `digital_wallet.tokenization_updated`): a tokenization's status changed. */
export interface LithicTokenizationUpdated {
  readonly event_type: LithicTokenizationUpdate;
  readonly account_token?: string;
  readonly card_token?: string;
  readonly created?: string;
  readonly tokenization: LithicTokenization;
}

/** Another tokenization event: it names its tokenization by `tokenization_token`. */
export interface LithicTokenizationNotice {
  readonly event_type: LithicTokenizationEvent;
  readonly tokenization_token: string;
  readonly account_token?: string;
  readonly card_token?: string;
  readonly created?: string;
  /** `tokenization.two_factor_authentication_code`: the code to pass on to the cardholder. Never stored in clear. */
  readonly authentication_code?: string;
  /** How the cardholder receives the code: `TEXT_TO_CARDHOLDER_NUMBER` or `EMAIL_TO_CARDHOLDER_ADDRESS`, and the number or address. Never stored. */
  readonly activation_method?: { readonly type?: string; readonly value?: string };
  readonly issuer_decision?: string;
  readonly tokenization_result_details?: { readonly issuer_decision?: string; readonly token_activated_date_time?: string | null; readonly [field: string]: unknown };
  readonly [field: string]: unknown;
}

/** Any other Lithic event the same subscription sends: a `notification`. */
export interface LithicOtherEvent {
  readonly event_type: string & {};
  readonly created?: string;
  readonly [field: string]: unknown;
}

/** What a Lithic event subscription's endpoint receives. */
export type LithicPayload = LithicTokenizationUpdated | LithicTokenizationNotice | LithicOtherEvent;

/** `auth: { signingSecret, toleranceMs? }` (see `LithicAuth`), `'none'` for local testing, or an `authenticate` hook of yours. */
export type LithicOptions = ProviderOptions & AuthOption<LithicAuth>;

const UPDATES: ReadonlySet<string> = new Set<LithicTokenizationUpdate>(['tokenization.updated', 'digital_wallet.tokenization_updated']);
const NOTICES: ReadonlySet<string> = new Set<LithicTokenizationEvent>([
  'tokenization.approval_request', 'tokenization.result', 'tokenization.two_factor_authentication_code', 'tokenization.two_factor_authentication_code_sent',
  'digital_wallet.tokenization_approval_request', 'digital_wallet.tokenization_result',
  'digital_wallet.tokenization_two_factor_authentication_code', 'digital_wallet.tokenization_two_factor_authentication_code_sent',
]);
const CODES: ReadonlySet<string> = new Set(['tokenization.two_factor_authentication_code', 'digital_wallet.tokenization_two_factor_authentication_code']);

const isUpdate = (raw: LithicPayload): raw is LithicTokenizationUpdated => UPDATES.has(raw.event_type);
const isNotice = (raw: LithicPayload): raw is LithicTokenizationNotice => NOTICES.has(raw.event_type);

/**
 * Lithic's statuses as EMVCo states, as its tokenization endpoints describe them: `PAUSED` is "a temporary status
 * that can be changed" (`SUSPENDED`); deactivating "is a permanent operation" (`DEACTIVATED`: `DELETED`); a token
 * `INACTIVE`, `PENDING_ACTIVATION` or `PENDING_2FA` is one Lithic can still activate (`INACTIVE`). Renamed ones
 * keep Lithic's word as `reasonCode`; `UNKNOWN` (and any other) changes no state.
 */
const STATUSES: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  ACTIVE: { state: 'ACTIVE' },
  INACTIVE: { state: 'INACTIVE' },
  PENDING_ACTIVATION: { state: 'INACTIVE', reasonCode: 'PENDING_ACTIVATION' },
  PENDING_2FA: { state: 'INACTIVE', reasonCode: 'PENDING_2FA' },
  PAUSED: { state: 'SUSPENDED', reasonCode: 'PAUSED' },
  DEACTIVATED: { state: 'DELETED', reasonCode: 'DEACTIVATED' },
};

/** The event's time, when it gives one as text (an event type this module does not know may give anything). */
/** `fields` with the event's time, when it gives one as text (an event type this module does not know may give anything). */
function dated(fields: FieldsBuilt, time: unknown): NormalizedFields {
  if (typeof time === 'string' && time !== '') fields.occurredAt = parseProviderTime(time);
  return fields;
}

function normalize(raw: LithicPayload): NormalizedFields {
  if (isUpdate(raw)) {
    const { token: tokenRef, status } = raw.tokenization;
    const mapped = STATUSES[status];
    const fields: FieldsBuilt = mapped
      ? { type: stateEventType(mapped.state), tokenRef, state: mapped.state, changes: [] }
      : { type: 'token.updated', tokenRef, changes: ['status'], reasonCode: status };
    if (mapped?.reasonCode) fields.reasonCode = mapped.reasonCode;
    return dated(fields, raw.created ?? raw.tokenization.updated_at);
  }
  if (isNotice(raw)) {
    const decision = raw.issuer_decision ?? raw.tokenization_result_details?.issuer_decision;
    const code = CODES.has(raw.event_type);
    const fields: FieldsBuilt = code
      ? { type: 'token.activation_code', tokenRef: raw.tokenization_token, changes: [] }
      : { type: 'notification', kind: raw.event_type, tokenRef: raw.tokenization_token, changes: [] };
    if (decision) fields.reason = decision;
    if (code && raw.authentication_code) fields.activationCode = raw.authentication_code;
    return dated(fields, raw.created);
  }
  return dated({ type: 'notification', kind: raw.event_type, tokenRef: '', changes: [] }, raw.created);
}

/**
 * The dedupe key: the `webhook-id` header, the Standard Webhooks message id, which "remains the same no matter how
 * many times a webhook that has failed is retried". Lithic's bodies carry no event id of their own (their `token`
 * fields name the tokenization, the card and the account). Without the header (`auth: 'none'`, a replay of a
 * quarantined delivery), the body's hash.
 */
function eventId(raw: LithicPayload, _rawBody: Buffer, _options: LithicOptions, context: NormalizeContext): string {
  return context.header?.('webhook-id') || contentId(raw);
}

const CARD = 'a1a0b5e4-4f0d-4f3a-9a7c-1d3c5f2b8e61';
const ACCOUNT = 'f3d4b0a2-6c55-4b7d-8e1e-2a9c0b7d4e15';
const TOKENIZATION = '182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e';
const KIND_STATUSES: Partial<Record<PayloadKind, { status: LithicTokenizationStatus; result: string }>> = {
  active: { status: 'ACTIVE', result: 'TOKEN_ACTIVATED' },
  suspended: { status: 'PAUSED', result: 'TOKEN_SUSPENDED' },
  deleted: { status: 'DEACTIVATED', result: 'TOKEN_DEACTIVATED' },
};

/**
 * `tokenization.updated` (`active`, `suspended`: `PAUSED`, `deleted`: `DEACTIVATED`), its latest tokenization event
 * the build's id; `tokenization.two_factor_authentication_code` (`activation_code`); `tokenization.result`
 * (`notification`).
 */
function payload(kind: PayloadKind, o: PayloadOverrides<LithicPayload>): LithicPayload {
  const created = (o.occurredAt ?? new Date()).toISOString();
  const token = o.tokenRef ?? TOKENIZATION;
  const change = KIND_STATUSES[kind];
  if (change) {
    return {
      account_token: ACCOUNT,
      card_token: CARD,
      created,
      event_type: 'tokenization.updated',
      tokenization: {
        token,
        account_token: ACCOUNT,
        card_token: CARD,
        created_at: '2025-01-15T09:30:00Z',
        updated_at: created,
        dpan: null,
        status: change.status,
        token_requestor_name: 'APPLE_PAY',
        token_unique_reference: 'DNITHE302412345678901234',
        tokenization_channel: 'DIGITAL_WALLET',
        events: [{ token: o.id ?? randomUUID(), created_at: created, result: change.result, type: 'TOKENIZATION_UPDATED' }],
      },
    };
  }
  const common = { account_token: ACCOUNT, card_token: CARD, created, tokenization_token: token };
  if (kind === 'activation_code') {
    return {
      ...common,
      event_type: 'tokenization.two_factor_authentication_code',
      authentication_code: o.activationCode ?? String(randomInt(100_000, 1_000_000)),
      activation_method: { type: 'TEXT_TO_CARDHOLDER_NUMBER', value: '+15555550123' },
    };
  }
  if (kind !== 'notification') return unsupportedKind('lithic', kind);
  return {
    ...common,
    event_type: 'tokenization.result',
    tokenization_result_details: { issuer_decision: 'APPROVED', tokenization_decline_reasons: [], token_activated_date_time: created },
  };
}

/**
 * The `webhook-id` the kit sends: the id of its build (the tokenization's latest event token), so that a resend of
 * one body is a retry; for a body without one (a 2FA code, a body of yours), a message id derived from the body.
 */
function messageIdOf(body: string | Buffer): string {
  const events = (jsonOf(body.toString()) as { tokenization?: { events?: { token?: unknown }[] } } | undefined)?.tokenization?.events;
  const built = Array.isArray(events) ? events.at(-1)?.token : undefined;
  return typeof built === 'string' && MESSAGE_ID.test(built) ? built : `msg_${createHash('sha256').update(body).digest('base64url').slice(0, 27)}`;
}

const testKit: ProviderTestKit<LithicPayload, string> = {
  kinds: ['active', 'suspended', 'deleted', 'activation_code', 'notification'],
  payload,
  sign: (body, { secret }, now) => ({ headers: secret ? lithicSignatureHeaders(body, secret, messageIdOf(body), now) : {} }),
  options: ({ secret }) => (secret ? { auth: { signingSecret: secret } } : { auth: 'none' }),
  cli: {
    flags: { key: KEY_FLAG('the signing secret of its event subscription (whsec_…)') },
    send: { flags: ['key'], what: "--key <whsec_… secret> (lithic({ auth: { signingSecret } })), its event subscription's secret" },
    check(flags) {
      if (flags.key !== undefined && !/^(whsec_)?[A-Za-z0-9+/]{22,}={0,2}$/.test(flags.key)) throw new Error('lithic signs with its event subscription\'s secret: --key must be whsec_ and base64');
    },
    credentials: (flags) => (flags.key === undefined ? {} : { secret: flags.key }),
    example: { kind: 'active', flags: { key: 'whsec_ZGVtby1saXRoaWMtc2lnbmluZy1zZWNyZXQh' } },
  },
};

/**
 * Lithic (`webhooks.lithic({ auth: { signingSecret } })`): the tokenization events of an event subscription
 * (`tokenization.*`, and the `digital_wallet.tokenization_*` names Lithic will deprecate), signed as Standard Webhooks.
 */
export const lithic = defineProvider<'lithic', LithicPayload, LithicOptions, string>({
  optionNames: { auth: LITHIC_AUTH_NAMES } satisfies NamesOf<Omit<LithicOptions, keyof ProviderOptions>>,
  name: 'lithic',
  schema: loadSchema('lithic'),
  // The token's number; the 2FA code, and the cardholder's number or address it goes to; the cardholder's data and device.
  secretKeys: ['dpan', 'authentication_code', 'activation_method', 'account_holder_data', 'imei', 'ip_address', 'location'],
  secretFields: ['activationCode'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? lithicSignatureAuthenticator(options.auth) : undefined),

  eventId,
  normalize,
  testKit,
});
