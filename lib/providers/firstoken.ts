import { randomUUID } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { SHARED_SECRET_NAMES, sharedSecretAuthenticator } from '../auth/shared-secret';
import type { Authenticator } from '../auth/authenticator';
import { contentId } from '../shared/canonical-json';
import type { FirstokenSignatureOptions } from './firstoken-signature';
import { firstokenSignature, firstokenSignatureAuthenticator } from './firstoken-signature';
import type { PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { BEARER_FLAG, KEY_FLAG, sharedSecretHeaders, unsupportedKind } from './test-kit';
import type { AuthOption, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import { parseProviderTime } from './time';

/** The token statuses Firstoken's webhooks send (`DELETED` is final). */
export type FirstokenStatus = Extract<TokenState, 'ACTIVE' | 'SUSPENDED' | 'DELETED'>;

/** The fields read from Firstoken's envelope and from its `data` (assumed: Firstoken does not publish them). */
export interface FirstokenFields {
  readonly event_id?: string;
  readonly id?: string;
  readonly status?: string;
  readonly ft_token?: string;
  readonly created_at?: string;
  readonly reference_code?: string;
}

/** The assumed Firstoken webhook envelope (see `schemas/firstoken.schema.json` for each assumption). */
export interface FirstokenPayload extends FirstokenFields {
  readonly message?: string;
  readonly data?: FirstokenFields & Readonly<Record<string, unknown>>;
}

/** Where to read each field, when your Firstoken payloads differ from the assumed envelope. */
export interface FirstokenMapping {
  /** Return `undefined` to dedupe on the SHA-256 of the payload's canonical JSON (so a re-serialized retry is still a duplicate). */
  readonly eventId?: (raw: FirstokenPayload) => string | undefined;
  readonly tokenRef?: (raw: FirstokenPayload) => string;
  readonly status?: (raw: FirstokenPayload) => FirstokenStatus;
  /** Return `undefined` to use the time of receipt. */
  readonly occurredAt?: (raw: FirstokenPayload) => Date | undefined;
}

/**
 * How Firstoken deliveries are authenticated: its `Firstoken-Signature` (`signingKeys`, the Webhook Key), and/or
 * a shared secret (`bearer`, `basic`) and a source-IP allow-list. Every check configured must pass.
 */
export type FirstokenAuth = SharedSecretAuth & Partial<Omit<FirstokenSignatureOptions, 'now'>>;

export type FirstokenOptions = ProviderOptions & AuthOption<FirstokenAuth> & {
  readonly mapping?: FirstokenMapping;
  /** Clock of the signature's `t`, in ms (tests). Default: when the delivery arrived by the clock instances share, else `Date.now`. */
  readonly now?: () => number;
};

const STATUSES: ReadonlySet<string> = new Set<FirstokenStatus>(['ACTIVE', 'SUSPENDED', 'DELETED']);

const defaults: Required<FirstokenMapping> = {
  eventId: (raw) => raw.event_id ?? raw.id ?? raw.data?.event_id ?? raw.data?.id,
  tokenRef: (raw) => (raw.data?.ft_token ?? raw.ft_token)!,
  status: (raw) => (raw.status && STATUSES.has(raw.status) ? raw.status : raw.data?.status) as FirstokenStatus,
  occurredAt: (raw) => {
    const time = raw.data?.created_at ?? raw.created_at;
    return time === undefined ? undefined : parseProviderTime(time);
  },
};

const mapping = (options: FirstokenOptions): Required<FirstokenMapping> => ({ ...defaults, ...options.mapping });

function firstokenAuthenticator(auth: FirstokenAuth, now: (() => number) | undefined): Authenticator {
  const { signingKeys, toleranceMs, signedMessage, ...shared } = auth;
  const checks: Authenticator[] = [];
  if (signingKeys !== undefined) {
    checks.push(firstokenSignatureAuthenticator({
      signingKeys, ...(toleranceMs === undefined ? {} : { toleranceMs }), ...(signedMessage ? { signedMessage } : {}), ...(now ? { now } : {}),
    }));
  }
  if (shared.bearer !== undefined || shared.basic !== undefined || shared.allowIps !== undefined || checks.length === 0) {
    checks.push(sharedSecretAuthenticator(shared, 'firstoken()'));
  }
  if (checks.length === 1) return checks[0]!;
  return {
    requiresRawBody: checks.some((c) => c.requiresRawBody),
    async authenticate(req, rawBody) {
      const verdicts = await Promise.all(checks.map((c) => c.authenticate(req, rawBody)));
      return verdicts.every((v) => v === true);
    },
  };
}

/** A network token status webhook, in the envelope this package assumes (see docs/providers.md, "Firstoken"). */
function payload(kind: PayloadKind, o: PayloadOverrides<FirstokenPayload>): FirstokenPayload {
  if (kind !== 'active' && kind !== 'suspended' && kind !== 'deleted') unsupportedKind('firstoken', kind);
  return {
    event_id: o.id ?? `evt_${randomUUID().replace(/-/g, '')}`,
    status: kind.toUpperCase(),
    message: `Network token ${kind}`,
    data: { ft_token: o.tokenRef ?? 'ft_7c9e6679f42a4b1d', reference_code: 'REF-TEST', created_at: (o.occurredAt ?? new Date()).toISOString() },
  };
}

/** The Webhook Key signs (`Firstoken-Signature`, dated in seconds); a shared secret travels besides when given. */
const testKit: ProviderTestKit<FirstokenPayload, string> = {
  kinds: ['active', 'suspended', 'deleted'],
  payload,
  sign: (body, credentials, now) => ({
    headers: {
      ...(credentials.secret ? { 'firstoken-signature': firstokenSignature(body, credentials.secret, { t: Math.floor(now / 1000) }) } : {}),
      ...sharedSecretHeaders(credentials),
    },
  }),
  options: ({ secret, bearer, basic }) => (secret || bearer || basic
    ? { auth: { ...(secret ? { signingKeys: secret } : {}), ...(bearer ? { bearer } : {}), ...(basic ? { basic } : {}) } }
    : { auth: 'none' }),
  cli: {
    flags: { key: KEY_FLAG('the Webhook Key'), bearer: BEARER_FLAG('a shared bearer secret') },
    send: { flags: ['key', 'bearer'], what: '--key <Webhook Key> (firstoken({ auth: { signingKeys } })) or --bearer <secret> (one of firstoken({ auth: { bearer } }))' },
    credentials: (flags) => ({ ...(flags.key !== undefined ? { secret: flags.key } : {}), ...(flags.bearer !== undefined ? { bearer: flags.bearer } : {}) }),
    example: { kind: 'active', flags: { key: 'demo-firstoken-webhook-key' } },
  },
};

export const firstoken = defineProvider<'firstoken', FirstokenPayload, FirstokenOptions, string>({
  optionNames: {
    auth: { ...SHARED_SECRET_NAMES, signingKeys: true, toleranceMs: true, signedMessage: true } satisfies NamesOf<FirstokenAuth>,
    mapping: { eventId: true, tokenRef: true, status: true, occurredAt: true } satisfies NamesOf<FirstokenMapping>,
    now: true,
  } satisfies NamesOf<Omit<FirstokenOptions, keyof ProviderOptions>>,
  name: 'firstoken',
  schema: loadSchema('firstoken'),

  authenticator: (options) => (options.auth && options.auth !== 'none' ? firstokenAuthenticator(options.auth, options.now) : undefined),

  eventId: (raw, _rawBody, options) => mapping(options).eventId(raw) ?? contentId(raw),

  normalize(raw, options) {
    const map = mapping(options);
    const state = map.status(raw);
    const occurredAt = map.occurredAt(raw);
    const fields: FieldsBuilt = { type: stateEventType(state), state, tokenRef: map.tokenRef(raw), changes: [] };
    if (raw.message) fields.reason = raw.message;
    if (occurredAt) fields.occurredAt = occurredAt;
    return fields;
  },
  testKit,
});
