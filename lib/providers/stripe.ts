import { randomBytes } from 'node:crypto';
import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { AuthOption, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import type { StripeAuth } from './stripe-signature';
import { STRIPE_AUTH_NAMES, stripeSignature, stripeSignatureAuthenticator } from './stripe-signature';
import type { PayloadKind, PayloadOverrides, ProviderTestKit, SignedDelivery } from './test-kit';
import { KEY_FLAG, unsupportedKind } from './test-kit';

/** An Issuing token's status, as Stripe's API reference and SDKs enumerate it. */
export type StripeTokenStatus = 'requested' | 'active' | 'suspended' | 'deleted';

/** The Issuing Token object (`issuing.token`): its id (`intok_…`) is the token reference; it never carries a card or token number. */
export interface StripeIssuingToken {
  readonly id: string;
  readonly object: 'issuing.token';
  /** The Issuing card (`ic_…`), or the card object when expanded. */
  readonly card?: string | { readonly id: string; readonly [field: string]: unknown };
  readonly created?: number;
  readonly device_fingerprint?: string | null;
  readonly last4?: string;
  readonly livemode?: boolean;
  readonly network?: 'mastercard' | 'visa' | (string & {});
  readonly network_updated_at?: number;
  readonly status: StripeTokenStatus | (string & {});
  readonly wallet_provider?: 'apple_pay' | 'google_pay' | 'samsung_pay' | (string & {}) | null;
  readonly network_data?: Readonly<Record<string, unknown>>;
}

/** A Stripe event (`evt_…`): `issuing_token.created` / `issuing_token.updated`, or any other type the endpoint is subscribed to. */
export interface StripePayload {
  /** The event id: the dedupe key, the same on every retry. */
  readonly id: string;
  readonly object: 'event';
  readonly type: 'issuing_token.created' | 'issuing_token.updated' | (string & {});
  readonly api_version?: string | null;
  /** When the event happened, in seconds since the Unix epoch. */
  readonly created: number;
  readonly data: {
    readonly object: StripeIssuingToken | { readonly id?: string; readonly object?: string; readonly [field: string]: unknown };
    /** Of an `*.updated` event: the values the changed fields had before. */
    readonly previous_attributes?: Readonly<Record<string, unknown>>;
  };
  readonly livemode?: boolean;
  readonly pending_webhooks?: number;
  readonly request?: { readonly id: string | null; readonly idempotency_key?: string | null } | null;
  readonly account?: string;
}

export type { StripeAuth } from './stripe-signature';

/** `auth: { signingSecret, toleranceMs? }` (see `StripeAuth`), `'none'` for local testing, or an `authenticate` hook of yours. */
export type StripeOptions = ProviderOptions & AuthOption<StripeAuth>;

/** What the test kit signs with: the endpoint's signing secret (several: one `v1` each, as while Stripe rolls a secret). */
export type StripeTestSecret = string | readonly string[];

/**
 * Stripe's token statuses as EMVCo states (its token-management guide draws the same four: Inactive is `requested`,
 * a token whose provisioning awaits the cardholder's verification). `requested` keeps Stripe's word as `reasonCode`.
 */
const STATES: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  requested: { state: 'INACTIVE', reasonCode: 'requested' },
  active: { state: 'ACTIVE' },
  suspended: { state: 'SUSPENDED' },
  deleted: { state: 'DELETED' },
};

const CREATED = 'issuing_token.created';
const UPDATED = 'issuing_token.updated';
const TOKEN_OBJECT = 'issuing.token';

/** Fields whose change is the token's own bookkeeping, not news: the status is the state; `network_updated_at` moves with any change. */
const NOT_CHANGES: ReadonlySet<string> = new Set(['status', 'network_updated_at']);

/** What an `issuing_token.updated` changed besides the status: the card (a replacement card the token migrated to), or other details. */
function changesOf(previous: Readonly<Record<string, unknown>> | undefined): TokenChange[] {
  if (!previous) return [];
  const changed = Object.keys(previous).filter((key) => !NOT_CHANGES.has(key));
  const changes: TokenChange[] = [];
  if (changed.includes('card')) changes.push('card');
  if (changed.some((key) => key !== 'card')) changes.push('metadata');
  return changes;
}

/**
 * An `issuing_token.*` event carries the whole token as it is now: its status is the state. An `issuing_token.updated`
 * whose `previous_attributes` do not list `status` changed something else (the card the token belongs to, its
 * details): a `token.updated`, with the status reported as `state`. Every other event type is a notification.
 */
function normalize(raw: StripePayload): NormalizedFields {
  const occurredAt = new Date(raw.created * 1000);
  const object = raw.data.object;
  const isToken = object.object === TOKEN_OBJECT;
  if ((raw.type !== CREATED && raw.type !== UPDATED) || !isToken) {
    return { type: 'notification', kind: raw.type, tokenRef: isToken && typeof object.id === 'string' ? object.id : '', changes: [], occurredAt };
  }
  const token = object as StripeIssuingToken;
  const previous = raw.type === UPDATED ? raw.data.previous_attributes : undefined;
  const changes = changesOf(previous);
  const mapped = STATES[token.status];
  const before = previous && typeof previous.status === 'string' ? STATES[previous.status]?.state : undefined;
  const tokenRef = token.id;
  const fields: FieldsBuilt = !mapped ? { type: 'token.updated', tokenRef, occurredAt, reasonCode: token.status, changes: [...changes, 'status'] }
    // Details changed, the status not: an update that still says the token's state.
    : { type: previous && !('status' in previous) && changes.length > 0 ? 'token.updated' : stateEventType(mapped.state), tokenRef, occurredAt, state: mapped.state, changes };
  if (mapped?.reasonCode) fields.reasonCode = mapped.reasonCode;
  if (before) fields.previousState = before;
  return fields;
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** An id as Stripe writes them: a prefix and 24 alphanumeric characters. */
const stripeId = (prefix: string) => `${prefix}_${[...randomBytes(24)].map((b) => BASE62[b % 62]).join('')}`;

const KIND_STATUSES: Partial<Record<PayloadKind, StripeTokenStatus>> = { active: 'active', suspended: 'suspended', deleted: 'deleted', updated: 'active' };

/** An `issuing_token.updated` event as Stripe sends it, in the shape of the token-management guide's example. */
function payload(kind: PayloadKind, o: PayloadOverrides<StripePayload>): StripePayload {
  const status = KIND_STATUSES[kind];
  if (!status) return unsupportedKind('stripe', kind);
  const created = Math.floor((o.occurredAt ?? new Date()).getTime() / 1000);
  // `updated`: the token moved to a replacement card (Stripe migrates tokens when it replaces a card).
  const previous = kind === 'updated' ? { card: 'ic_1PpQxRZ4pSeEKmWXtdMwVxTL', network_updated_at: created - 60 } : { status: 'active', network_updated_at: created - 60 };
  return {
    id: o.id ?? stripeId('evt'),
    object: 'event',
    api_version: '2025-02-24.acacia',
    created,
    data: {
      object: {
        id: o.tokenRef ?? 'intok_1QbHm8Z4pSeEKmWXlK7vcUQb',
        object: TOKEN_OBJECT,
        card: 'ic_1QbHkvZ4pSeEKmWXN2sJzfbW',
        created: created - 3600,
        device_fingerprint: null,
        last4: '4242',
        livemode: false,
        network: 'visa',
        network_updated_at: created,
        status,
        wallet_provider: 'apple_pay',
      },
      previous_attributes: kind === 'active' ? { status: 'requested', network_updated_at: created - 60 } : previous,
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: UPDATED,
  };
}

const secretsOf = (secret: StripeTestSecret): readonly string[] => (typeof secret === 'string' ? [secret] : secret);

const testKit: ProviderTestKit<StripePayload, StripeTestSecret> = {
  kinds: ['active', 'suspended', 'deleted', 'updated'],
  payload,
  sign: (body, { secret }, now): SignedDelivery => ({ headers: secret ? { 'stripe-signature': stripeSignature(body, secret, { t: Math.floor(now / 1000) }) } : {} }),
  options: ({ secret }) => (secret ? { auth: { signingSecret: secretsOf(secret).length === 1 ? secretsOf(secret)[0]! : [...secretsOf(secret)] } } : { auth: 'none' }),
  cli: {
    flags: { key: KEY_FLAG("the endpoint's signing secret (whsec_…)") },
    send: { flags: ['key'], what: "--key <whsec_…> (stripe({ auth: { signingSecret } }), the endpoint's signing secret)" },
    credentials: (flags) => (flags.key === undefined ? {} : { secret: flags.key }),
    example: { kind: 'suspended', flags: { key: 'whsec_demo_stripe_signing_secret' } },
  },
};

/** Stripe Issuing (`webhooks.stripe({ auth: { signingSecret } })`): `issuing_token.created` and `issuing_token.updated`. */
export const stripe = defineProvider<'stripe', StripePayload, StripeOptions, StripeTestSecret>({
  optionNames: { auth: STRIPE_AUTH_NAMES } satisfies NamesOf<Omit<StripeOptions, keyof ProviderOptions>>,
  name: 'stripe',
  schema: loadSchema('stripe'),
  // The token's network_data (device, wallet account) and the cardholder fields other Issuing events carry.
  secretKeys: ['number', 'phone_number', 'ip_address', 'location', 'name', 'cardholder_name', 'cardholder_address', 'address',
    'hashed_account_email_address', 'email', 'dob'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? stripeSignatureAuthenticator(options.auth) : undefined),

  /** The event id (`evt_…`): Stripe resends the same event, with the same id, on every retry. */
  eventId: (raw) => raw.id,
  normalize,
  testKit,
});
