import { randomBytes } from 'node:crypto';
import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { AuthOption, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { CheckoutAuth } from './checkout-signature';
import { CHECKOUT_AUTH_NAMES, checkoutSignature, checkoutSignatureAuthenticator } from './checkout-signature';
import { parseProviderTime } from './time';
import type { PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { KEY_FLAG, unsupportedKind } from './test-kit';

/** A network token's state, as Checkout.com's SDKs enumerate it. */
export type CheckoutTokenState = 'active' | 'suspended' | 'inactive' | 'declined' | 'requested';

/** The network token of a `network_token_update`: its id (the token reference), never its number. */
export interface CheckoutNetworkToken {
  readonly id: string;
  readonly state: CheckoutTokenState | (string & {});
  readonly expiry_month?: number | string;
  readonly expiry_year?: number | string;
  readonly payment_account_reference?: string;
  readonly type?: string;
}

/** A Checkout.com webhook event: `network_token_update`, or another event type its workflow sends to the same URL. */
export interface CheckoutPayload {
  /** The event id (`evt_…`): the dedupe key. */
  readonly id: string;
  readonly type: 'network_token_update' | (string & {});
  readonly version?: string;
  readonly created_on?: string;
  readonly data?: {
    readonly scheme?: string;
    /** The card's details as they are now: its last four digits and expiry. */
    readonly card?: { readonly last_four?: string; readonly expiry_month?: number | string; readonly expiry_year?: number | string };
    readonly network_token?: CheckoutNetworkToken;
    readonly [field: string]: unknown;
  };
  readonly _links?: { readonly self?: { readonly href?: string } };
}

export type { CheckoutAuth } from './checkout-signature';

/** `auth: { signatureKey, authorization? }` (see `CheckoutAuth`), `'none'` for local testing, or an `authenticate` hook of yours. */
export type CheckoutOptions = ProviderOptions & AuthOption<CheckoutAuth>;

/** What the test kit signs with: the webhook's signature key, and the `Authorization` value it sends, if any. */
export interface CheckoutTestSecret {
  readonly signatureKey: string;
  readonly authorization?: string;
}

/**
 * Checkout.com's token states as EMVCo states. `requested` (provisioning asked for, not yet usable) is `INACTIVE`;
 * `inactive` and `declined` are `DELETED`: Checkout.com names no deleted state, a token it deactivates or deletes
 * (its permanent-delete endpoint) is `inactive` and never used again, and a `declined` one was never provisioned.
 * The three keep Checkout.com's word as `reasonCode`.
 */
const STATES: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  active: { state: 'ACTIVE' },
  suspended: { state: 'SUSPENDED' },
  requested: { state: 'INACTIVE', reasonCode: 'requested' },
  inactive: { state: 'DELETED', reasonCode: 'inactive' },
  declined: { state: 'DELETED', reasonCode: 'declined' },
};

const UPDATE = 'network_token_update';

/**
 * A `network_token_update` fires when the token's state or its card's details change, and does not say which:
 * every one carrying the card's details is a card update (`changes: ['card']`), besides the state it reports, whose
 * handler fires only when the state changed. A state no SDK lists changes no state: the token changed somehow.
 */
function normalize(raw: CheckoutPayload): NormalizedFields {
  const occurredAt = raw.created_on ? parseProviderTime(raw.created_on) : undefined;
  const dated = occurredAt ? { occurredAt } : {};
  const token = raw.data?.network_token;
  if (raw.type !== UPDATE) return { type: 'notification', kind: raw.type, tokenRef: token?.id ?? '', changes: [], ...dated };
  const tokenRef = token!.id;
  const changes: TokenChange[] = raw.data?.card ? ['card'] : [];
  const mapped = STATES[token!.state];
  if (!mapped) return { type: 'token.updated', tokenRef, reasonCode: token!.state, changes: [...changes, 'status'], ...dated };
  return { type: stateEventType(mapped.state), state: mapped.state, tokenRef, changes, ...(mapped.reasonCode ? { reasonCode: mapped.reasonCode } : {}), ...dated };
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** An id as Checkout.com writes them: a prefix and 26 base32 characters. */
const checkoutId = (prefix: string) => `${prefix}_${[...randomBytes(26)].map((b) => BASE32[b % 32]).join('')}`;

const KIND_STATES: Partial<Record<PayloadKind, CheckoutTokenState>> = { active: 'active', suspended: 'suspended', deleted: 'inactive' };

/** A `network_token_update` as Checkout.com's webhook event-types reference shows it. */
function payload(kind: PayloadKind, o: PayloadOverrides<CheckoutPayload>): CheckoutPayload {
  const state = KIND_STATES[kind];
  if (!state) return unsupportedKind('checkout', kind);
  const id = o.id ?? checkoutId('evt');
  return {
    id,
    type: UPDATE,
    version: '1.0.0',
    created_on: (o.occurredAt ?? new Date()).toISOString(),
    data: {
      scheme: 'visa',
      card: { last_four: '4242', expiry_month: 12, expiry_year: 2030 },
      network_token: { id: o.tokenRef ?? 'nt_xgu3isllqfyu7ktpk5z2yxbwna', state, expiry_month: 12, expiry_year: 2033, payment_account_reference: 'V0010013819152845436543754712' },
    },
    _links: { self: { href: `https://api.checkout.com/workflows/events/${id}` } },
  };
}

const testKit: ProviderTestKit<CheckoutPayload, CheckoutTestSecret> = {
  kinds: ['active', 'suspended', 'deleted'],
  payload,
  sign: (body, { secret }) => ({
    headers: secret ? { 'cko-signature': checkoutSignature(body, secret.signatureKey), ...(secret.authorization ? { authorization: secret.authorization } : {}) } : {},
  }),
  options: ({ secret }) => (secret
    ? { auth: { signatureKey: secret.signatureKey, ...(secret.authorization ? { authorization: secret.authorization } : {}) } }
    : { auth: 'none' }),
  cli: {
    flags: {
      key: KEY_FLAG('the signature key of its webhook'),
      authorization: { spec: '--authorization <value>', about: 'the Authorization header value its webhook sends' },
    },
    send: { flags: ['key', 'authorization'], what: '--key <signature key> (checkout({ auth: { signatureKey } })), and --authorization <value> when its webhook sends one' },
    check(flags) {
      if (flags.authorization !== undefined && flags.key === undefined) throw new Error('checkout signs with its signature key: --authorization needs --key <signature key>');
    },
    credentials: (flags) => (flags.key === undefined ? {}
      : { secret: { signatureKey: flags.key, ...(flags.authorization !== undefined ? { authorization: flags.authorization } : {}) } }),
    example: { kind: 'active', flags: { key: 'demo-checkout-signature-key' } },
  },
};

/** Checkout.com (`webhooks.checkout({ auth: { signatureKey, authorization? } })`): its workflows' `network_token_update` webhook event. */
export const checkout = defineProvider<'checkout', CheckoutPayload, CheckoutOptions, CheckoutTestSecret>({
  optionNames: { auth: CHECKOUT_AUTH_NAMES } satisfies NamesOf<Omit<CheckoutOptions, keyof ProviderOptions>>,
  name: 'checkout',
  schema: loadSchema('checkout'),
  // Checkout.com's API names a card's and a network token's number `number`: never stored.
  secretKeys: ['number'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? checkoutSignatureAuthenticator(options.auth) : undefined),

  /** The event id: the same on every retry (Checkout.com resends the event itself). */
  eventId: (raw) => raw.id,
  normalize,
  testKit,
});
