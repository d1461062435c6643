import { createHash, randomBytes } from 'node:crypto';
import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import { contentId } from '../pipeline/canonical-json';
import type { AuthOption, NormalizeContext, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { RazorpayAuth } from './razorpay-signature';
import { RAZORPAY_AUTH_NAMES, razorpaySignature, razorpaySignatureAuthenticator } from './razorpay-signature';
import type { PayloadKind, PayloadOverrides, ProviderTestKit, SignedDelivery } from './test-kit';
import { KEY_FLAG, jsonOf, unsupportedKind } from './test-kit';

/** A service provider token: the network token (`provider_type: network`) or Razorpay's own (`aggregator`) of one card token. */
export interface RazorpayServiceProviderToken {
  /** `spt_…`: the token reference of `token.service_provider.*` events. */
  readonly id: string;
  readonly entity?: 'service_provider_token';
  readonly provider_type?: 'network' | 'issuer' | 'aggregator' | (string & {});
  readonly provider_name?: string;
  readonly interoperable?: boolean;
  /** `active` (`activated` in some of Razorpay's examples), `suspended`, `deactivated`, `failed`. */
  readonly status?: string;
  /** Why it was deactivated: `expired`, `deactivated_by_bank`. */
  readonly status_reason?: string;
  readonly provider_data?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

/** A Razorpay card token (`token_…`): its card's last four digits and network, never a number. */
export interface RazorpayToken {
  readonly id: string;
  readonly entity?: 'token';
  readonly customer_id?: string | null;
  readonly method?: string;
  readonly card?: Readonly<Record<string, unknown>>;
  readonly expired_at?: number;
  /** `initiated`, `active` (`activated` in some examples), `suspended`, `deactivated`, `failed`. */
  readonly status?: string;
  readonly service_provider_tokens?: readonly RazorpayServiceProviderToken[];
  readonly notes?: Readonly<Record<string, unknown>> | readonly unknown[];
  readonly [field: string]: unknown;
}

/** A Razorpay webhook event as documented for TokenHQ: `token.*` and `token.service_provider.*`, or another event the webhook is subscribed to. */
export interface RazorpayEvent {
  readonly entity: 'event';
  readonly account_id?: string;
  readonly event: string;
  readonly contains?: readonly string[];
  readonly payload: {
    readonly token?: { readonly entity: RazorpayToken };
    /** One service provider token, or (in some examples) a list of them. */
    readonly service_provider_token?: { readonly entity: RazorpayServiceProviderToken | readonly RazorpayServiceProviderToken[] };
    readonly [entity: string]: unknown;
  };
  /** Unix seconds; Razorpay's TokenHQ examples mostly omit it. */
  readonly created_at?: number;
}

/** The same event inside the envelope one of Razorpay's TokenHQ examples (`token.service_provider.failed`) shows: it names the event id too. */
export interface RazorpayWrappedEvent {
  readonly event: { readonly name?: string; readonly id?: string; readonly service?: string; readonly payload: RazorpayEvent; readonly owner_id?: string; readonly owner_type?: string };
}

export type RazorpayPayload = RazorpayEvent | RazorpayWrappedEvent;

export type { RazorpayAuth } from './razorpay-signature';

/** `auth: { webhookSecret }` (see `RazorpayAuth`), `'none'` for local testing, or an `authenticate` hook of yours. */
export type RazorpayOptions = ProviderOptions & AuthOption<RazorpayAuth>;

/** What the test kit signs with: the webhook secret. */
export type RazorpayTestSecret = string;

/** The header Razorpay sends its event id in, the same on every retry: the dedupe key. */
const EVENT_ID_HEADER = 'x-razorpay-event-id';

const isWrapped = (raw: RazorpayPayload): raw is RazorpayWrappedEvent => typeof raw.event === 'object' && raw.event !== null;
const eventOf = (raw: RazorpayPayload): RazorpayEvent => (isWrapped(raw) ? raw.event.payload : raw);

/** What each documented verb says of a token. Renamed ones keep Razorpay's word as `reasonCode`. */
const VERBS: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  initiated: { state: 'INACTIVE', reasonCode: 'initiated' },
  activated: { state: 'ACTIVE' },
  suspended: { state: 'SUSPENDED' },
  // "the issuing bank temporarily suspends a token": a suspension, not a deletion.
  cancelled: { state: 'SUSPENDED', reasonCode: 'cancelled' },
  deactivated: { state: 'DELETED', reasonCode: 'deactivated' },
  // The token could not be created with that network: it never becomes usable.
  failed: { state: 'DELETED', reasonCode: 'failed' },
};
const EXPIRY_UPDATED = 'expiry_updated';

/** The overall token's events (the "Razorpay/merchant requestor" pages). */
const TOKEN_VERBS: ReadonlySet<string> = new Set(['initiated', 'activated', 'suspended', 'deactivated', EXPIRY_UPDATED]);
/** The service provider token's events (the "with network tokens" pages), as their tables and examples spell them. */
const PROVIDER_VERBS: ReadonlySet<string> = new Set(['activated', 'cancelled', 'suspended', 'deactivated', 'failed', EXPIRY_UPDATED]);
/** `token.service_provider.<verb>`, and the `token.service_provider_token.<verb>` / `token.service_provider_<verb>` spellings of an older page. */
const PROVIDER_EVENT = /^token\.service_provider(?:_token\.|\.|_)([a-z_]+)$/;

/** A token status as an EMVCo state: Razorpay writes `active` and, in some examples, `activated`. */
const STATUSES: Readonly<Record<string, TokenState>> = {
  initiated: 'INACTIVE', active: 'ACTIVE', activated: 'ACTIVE', suspended: 'SUSPENDED', deactivated: 'DELETED', failed: 'DELETED',
};

/** The service provider token an event is about: the one it carries (the first of a list), else the token's own list's. */
function serviceProviderTokenOf(event: RazorpayEvent): RazorpayServiceProviderToken | undefined {
  const carried = event.payload.service_provider_token?.entity;
  const first = Array.isArray(carried) ? carried[0] as RazorpayServiceProviderToken | undefined : carried as RazorpayServiceProviderToken | undefined;
  return first ?? event.payload.token?.entity.service_provider_tokens?.[0];
}

/**
 * `token.<verb>` is about Razorpay's card token (`token_…`); `token.service_provider.<verb>` about one network's token
 * of it (`spt_…`), whose state the overall token's need not share (one network's token suspended, the token still
 * active through another): each is its own token reference. Other events are notifications.
 */
function normalize(raw: RazorpayPayload): NormalizedFields {
  const event = eventOf(raw);
  const name = event.event;
  const token = event.payload.token?.entity;
  const occurredAt = typeof event.created_at === 'number' ? { occurredAt: new Date(event.created_at * 1000) } : {};
  const provider = PROVIDER_EVENT.exec(name);
  const verb = provider ? provider[1]! : name.startsWith('token.') ? name.slice('token.'.length) : '';
  const known = provider ? PROVIDER_VERBS.has(verb) : TOKEN_VERBS.has(verb);
  const subject = provider ? serviceProviderTokenOf(event) ?? token : token;
  if (!known || !subject) return { type: 'notification', kind: name, tokenRef: subject?.id ?? token?.id ?? '', changes: [], ...occurredAt };
  const tokenRef = subject.id;
  if (verb === EXPIRY_UPDATED) {
    const state = subject.status ? STATUSES[subject.status] : undefined;
    const changes: TokenChange[] = ['expiry'];
    return { type: 'token.updated', tokenRef, changes, ...(state ? { state } : {}), ...occurredAt };
  }
  const mapped = VERBS[verb]!;
  const why = subject.status_reason ? { reasonCode: String(subject.status_reason) } : mapped.reasonCode ? { reasonCode: mapped.reasonCode } : {};
  return { type: stateEventType(mapped.state), state: mapped.state, tokenRef, changes: [], ...why, ...occurredAt };
}

/**
 * The event id: `X-Razorpay-Event-Id`, unique per event and the same on its retries (Razorpay's bodies carry no id,
 * and its token events no time: a token activated again is the same bytes as its first activation, another event).
 * The wrapped envelope of one example names it as `event.id`. A delivery replayed from quarantine kept no headers:
 * then, as for every provider that sends no id, a hash of its content.
 */
function eventId(raw: RazorpayPayload, _rawBody: Buffer, _options: RazorpayOptions, context: NormalizeContext): string {
  const header = context.header?.(EVENT_ID_HEADER)?.trim();
  if (header) return header;
  if (isWrapped(raw) && typeof raw.event.id === 'string' && raw.event.id !== '') return raw.event.id;
  return contentId(raw);
}

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** An id as Razorpay writes them: 14 alphanumeric characters (after a prefix for entities). */
const razorpayId = () => [...randomBytes(14)].map((b) => BASE62[b % 62]).join('');

/**
 * Where the test kit keeps the event id a test chose, for its `sign` to send as `X-Razorpay-Event-Id`: a note on the
 * token (Razorpay's `notes`, free key-value pairs). Razorpay itself sends the id in the header only.
 */
const KIT_ID_NOTE = 'x_razorpay_event_id';

const KIND_EVENTS: Partial<Record<PayloadKind, { readonly event: string; readonly status: string }>> = {
  active: { event: 'token.activated', status: 'active' },
  suspended: { event: 'token.suspended', status: 'suspended' },
  deleted: { event: 'token.deactivated', status: 'deactivated' },
  updated: { event: 'token.expiry_updated', status: 'active' },
};

/** A `token.*` event as Razorpay's TokenHQ webhooks page shows it. */
function payload(kind: PayloadKind, o: PayloadOverrides<RazorpayPayload>): RazorpayPayload {
  const shape = KIND_EVENTS[kind];
  if (!shape) return unsupportedKind('razorpay', kind);
  const expiry = Math.floor((o.occurredAt ?? new Date()).getTime() / 1000) + 3 * 365 * 86400;
  return {
    entity: 'event',
    account_id: 'acc_BFQ7uQEaa7j2z7',
    event: shape.event,
    contains: ['token'],
    payload: {
      token: {
        entity: {
          id: o.tokenRef ?? 'token_4lsdksD31GaZ09',
          entity: 'token',
          customer_id: 'cust_1Aa00000000001',
          method: 'card',
          card: { last4: '3335', network: 'Visa', type: 'debit', issuer: 'HDFC', international: false, emi: true, sub_type: 'consumer', token_iin: '453335' },
          compliant_with_tokenisation_guidelines: true,
          expired_at: expiry,
          status: shape.status,
          notes: { [KIT_ID_NOTE]: o.id ?? razorpayId() },
        },
      },
    },
  };
}

/** The event id the kit sends: the one `payload` noted, else (a body of yours) one derived from the body, so its resend is a duplicate. */
function kitEventId(body: string | Buffer): string {
  const parsed = jsonOf(body.toString()) as RazorpayPayload | undefined;
  const noted = parsed && typeof parsed === 'object' ? eventOf(parsed)?.payload?.token?.entity?.notes : undefined;
  const id = noted && !Array.isArray(noted) ? (noted as Readonly<Record<string, unknown>>)[KIT_ID_NOTE] : undefined;
  return typeof id === 'string' && id !== '' ? id : createHash('sha256').update(body).digest('base64url').slice(0, 14);
}

const testKit: ProviderTestKit<RazorpayPayload, RazorpayTestSecret> = {
  kinds: ['active', 'suspended', 'deleted', 'updated'],
  payload,
  sign: (body, { secret }): SignedDelivery => ({
    headers: { [EVENT_ID_HEADER]: kitEventId(body), ...(secret ? { 'x-razorpay-signature': razorpaySignature(body, secret) } : {}) },
  }),
  options: ({ secret }) => (secret ? { auth: { webhookSecret: secret } } : { auth: 'none' }),
  cli: {
    flags: { key: KEY_FLAG('the webhook secret') },
    send: { flags: ['key'], what: '--key <webhook secret> (razorpay({ auth: { webhookSecret } }))' },
    credentials: (flags) => (flags.key === undefined ? {} : { secret: flags.key }),
    example: { kind: 'suspended', flags: { key: 'demo-razorpay-webhook-secret' } },
  },
};

/** Razorpay TokenHQ (`webhooks.razorpay({ auth: { webhookSecret } })`): `token.*` and `token.service_provider.*` events. */
export const razorpay = defineProvider<'razorpay', RazorpayPayload, RazorpayOptions, RazorpayTestSecret>({
  optionNames: { auth: RAZORPAY_AUTH_NAMES } satisfies NamesOf<Omit<RazorpayOptions, keyof ProviderOptions>>,
  name: 'razorpay',
  schema: loadSchema('razorpay'),
  // The customer's contact details other events carry (a payment's, the customer entity's); a card's name.
  secretKeys: ['email', 'contact', 'name', 'number', 'vpa'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? razorpaySignatureAuthenticator(options.auth) : undefined),

  eventId,
  normalize,
  testKit,
});
