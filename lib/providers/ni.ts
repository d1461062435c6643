import { randomInt, randomUUID } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { sharedSecretAuthenticator } from '../auth/shared-secret';
import type { OAuthClientCredentialsOptions } from '../auth/client-credentials';
import type { OAuthTokenEndpoint, OAuthTokenVerifier } from '../auth/oauth-token-endpoint';
import { bearerCheck, oauthTokenEndpoint } from '../auth/oauth-token-endpoint';
import type { Acknowledgement, AuthOption, DeliveryOutcome, NormalizeContext, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import type { FieldsBuilt } from './fields';
import { OFFSET, parseProviderTime } from './time';
import { ConfigurationError } from '../errors';
import { REDACTED } from '../redact';
import { requestAccessToken, TokenRequestError, whyFetchFailed } from '../auth/token-request';
import type { AcknowledgementReading, PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { BEARER_FLAG, checkHttpUrl, checkPair, jsonOf, readJsonAcknowledgement, sharedSecretHeaders, unsupportedKind } from './test-kit';
import { OUTCOME_HEADER } from '../shared/outcome-header';

export type NiNotificationType = 'AC' | 'TC' | 'TD' | 'TE';
/** NI's documented `tokenEventIndicator` values: `3` deactivate, `4` delete, `6` suspend, `7` resume. */
export type NiTokenEventIndicator = '3' | '4' | '6' | '7';

/**
 * A Network International webhook. Token Notifications have types `AC`, `TC`, `TD` and `TE`; NI sends its
 * other webhooks (card activation, renewal, …) to the same endpoint, with other types and details.
 */
export interface NiPayload {
  readonly id: string;
  readonly type: NiNotificationType | (string & {});
  readonly timestamp: string;
  readonly details: {
    readonly card?: {
      /** `type` is `externalCardId`, or (V2) `cardNumber`: then `value` is the clear card number. */
      readonly id?: { readonly type?: string; readonly value?: string };
      readonly maskedCardNumber?: string;
      readonly clientId?: string;
      /** NI's samples spell `clientId` this way. */
      readonly clintId?: string;
      readonly mobilePhone?: string;
      readonly email?: string;
      readonly language?: string;
      readonly cbsNumber?: string;
    };
    /** The SMS text; it carries the activation code. */
    readonly textMessage?: string;
    readonly token?: {
      readonly activationPref?: string;
      readonly requestorId?: string;
      readonly requestorName?: string;
      readonly activationCode?: string;
      readonly deviceType?: string;
      readonly tokenEventReasonCode?: string;
      readonly tokenEventIndicator?: NiTokenEventIndicator | (string & {}) | number;
    };
  };
}

/** The audience of the access tokens `niTokenEndpoint()` issues: they are good for the NI endpoint only. */
const NI_TOKEN_AUDIENCE = 'ni';

/**
 * The OAuth2 client-credentials token endpoint to give Network International. Mount it
 * (`app.post('/oauth/ni/token', tokens)`) and pass it, or the same options, as `ni({ auth: { oauth } })`.
 */
export function niTokenEndpoint(options: OAuthClientCredentialsOptions): OAuthTokenEndpoint {
  return oauthTokenEndpoint(options, NI_TOKEN_AUDIENCE);
}

/**
 * How NI authenticates. NI obtains an OAuth2 access token with client credentials and sends it as
 * `Authorization: Bearer …`: give `oauth` the endpoint `niTokenEndpoint()` returned, or the
 * same client credentials (another app instance verifies the tokens any instance issued). Static
 * `bearer` tokens are accepted too (several while you rotate); `allowIps` adds a source-IP check.
 */
export interface NiAuth extends Pick<SharedSecretAuth, 'bearer' | 'allowIps'> {
  readonly oauth?: OAuthTokenVerifier | OAuthClientCredentialsOptions;
}

export type NiOptions = ProviderOptions & AuthOption<NiAuth> & {
  /**
   * The UTC offset of a `timestamp` sent without one: `'+04:00'` (default: the zone of NI's specification,
   * `…SS.SSS+04:00`), `'Z'`, or any `±hh:mm`. NI's own samples mix `Z`, `+04:00` and no zone.
   */
  readonly timestampOffset?: string;
};

function niAuthenticator(auth: NiAuth) {
  const oauth = auth.oauth;
  const verifier = oauth === undefined ? undefined
    : typeof (oauth as OAuthTokenVerifier).verify === 'function' ? (oauth as OAuthTokenVerifier)
      : niTokenEndpoint(oauth as OAuthClientCredentialsOptions);
  return sharedSecretAuthenticator(auth, 'ni()', verifier ? { verifyBearer: bearerCheck(verifier) } : {});
}

const INDICATORS: Readonly<Record<string, { state: TokenState; reason: string }>> = {
  3: { state: 'DELETED', reason: 'Deactivate' },
  4: { state: 'DELETED', reason: 'Delete' },
  6: { state: 'SUSPENDED', reason: 'Suspend' },
  7: { state: 'ACTIVE', reason: 'Resume' },
};

const TOKEN_TYPES: ReadonlySet<string> = new Set<NiNotificationType>(['AC', 'TC', 'TD', 'TE']);
/** A `type` safe to echo in the answer: NI expects its request type back; free text never is. */
const ECHOABLE = /^[A-Za-z0-9_]{1,32}$/;

/**
 * NI names no token id. A token is the card (NI's external card id; a clear card number only as its keyed hash;
 * without an id, the masked number within its client) in one token requestor (wallet) on one device type; each
 * part is URI-encoded and the parts joined by `:`, so two different triples never make one reference.
 */
function tokenRefOf(details: NiPayload['details'], context: NormalizeContext): string {
  const { card, token } = details;
  const cardKey = card?.id?.value
    ? (card.id.type === 'cardNumber' ? context.cardReference(card.id.value) : card.id.value)
    : card?.maskedCardNumber ? `masked:${card.maskedCardNumber}@${card.clientId ?? card.clintId ?? ''}` : '';
  return [cardKey, token?.requestorId ?? '', token?.deviceType ?? ''].map(encodeURIComponent).join(':');
}

function normalize(raw: NiPayload, options: NiOptions, context: NormalizeContext): NormalizedFields {
  const occurredAt = parseProviderTime(raw.timestamp, options.timestampOffset ?? DEFAULT_OFFSET);
  if (!TOKEN_TYPES.has(raw.type)) {
    return { type: 'notification', kind: raw.type, tokenRef: raw.details?.card ? tokenRefOf(raw.details, context) : '', changes: [], occurredAt };
  }
  const { token } = raw.details;
  const fields = tokenFields(raw.type, token, tokenRefOf(raw.details, context), occurredAt);
  // An undocumented indicator's own code stands over the token's reason code.
  if (token?.tokenEventReasonCode && fields.reasonCode === undefined) fields.reasonCode = token.tokenEventReasonCode;
  return fields;
}

function tokenFields(type: string, token: NiPayload['details']['token'], tokenRef: string, occurredAt: Date): FieldsBuilt {
  switch (type) {
    case 'AC': {
      const fields: FieldsBuilt = { type: 'token.activation_code', tokenRef, occurredAt, changes: [], reason: 'Activation code' };
      if (token?.activationCode) fields.activationCode = token.activationCode;
      return fields;
    }
    case 'TC':
      return { type: 'token.active', tokenRef, occurredAt, changes: [], state: 'ACTIVE', reason: 'Token completion' };
    case 'TE':
      return { type: 'token.active', tokenRef, occurredAt, changes: [], state: 'ACTIVE', reason: 'Token resume' };
    default: {
      const indicator = INDICATORS[String(token?.tokenEventIndicator ?? '')];
      if (indicator) return { type: stateEventType(indicator.state), tokenRef, occurredAt, changes: [], state: indicator.state, reason: indicator.reason };
      // An indicator NI has not documented: the token changed in some way; fetch it to learn how.
      const fields: FieldsBuilt = { type: 'token.updated', tokenRef, occurredAt, changes: ['status'], reason: 'Token event' };
      if (token?.tokenEventIndicator !== undefined) fields.reasonCode = String(token.tokenEventIndicator);
      return fields;
    }
  }
}

const DEFAULT_OFFSET = '+04:00';

/** ISO 8583-style response codes NI reads in `response.status.code`. */
function responseCode(status: number): string {
  if (status < 300) return '00';
  if (status === 401) return '63'; // security violation
  if (status < 500 && status !== 409) return '30'; // format error
  return '96'; // system malfunction: retry
}

/** NI expects the same JSON shape for every answer, echoing the request `type`, with our 12-character reference `id`. */
function acknowledge(outcome: DeliveryOutcome): Acknowledgement {
  const requestType = (outcome.payload as { type?: unknown } | undefined)?.type;
  const status = outcome.ok ? 200 : outcome.error.status;
  const issues = outcome.ok ? undefined : outcome.error.issues;
  return {
    status,
    body: {
      id: String(randomInt(1e11, 1e12)),
      // Echo the type of an accepted delivery when it is a plain code; of a refused one only a token type: free text never comes back.
      type: typeof requestType === 'string' && (TOKEN_TYPES.has(requestType) || (outcome.ok && ECHOABLE.test(requestType))) ? requestType : '',
      timestamp: new Date().toISOString(),
      response: {
        status: { code: responseCode(status), description: outcome.ok ? 'successful' : outcome.error.code },
      },
      ...(issues ? { errors: issues } : {}),
    },
  };
}

/** A Token Notification (`TC`, `TD`, `AC`), or another NI webhook type (`notification`). */
function payload(kind: PayloadKind, o: PayloadOverrides<NiPayload>): NiPayload {
  const [card = '52913582186153682368', requestorId = '50110030273'] = (o.tokenRef ?? '').split(':').filter(Boolean);
  const base = { id: o.id ?? randomUUID(), timestamp: (o.occurredAt ?? new Date()).toISOString() };
  const details = {
    card: { id: { type: 'externalCardId', value: decodeURIComponent(card) }, maskedCardNumber: '529135XXXXXX4488', clientId: '1234567', language: 'ENG' },
    token: { requestorId: decodeURIComponent(requestorId), requestorName: 'APPLE PAY', deviceType: '16', tokenEventReasonCode: '' },
  };
  switch (kind) {
    case 'active': return { ...base, type: 'TC', details };
    case 'suspended': return { ...base, type: 'TD', details: { ...details, token: { ...details.token, tokenEventIndicator: '6' } } };
    case 'deleted': return { ...base, type: 'TD', details: { ...details, token: { ...details.token, tokenEventIndicator: '4' } } };
    case 'activation_code': return { ...base, type: 'AC', details: { ...details, token: { ...details.token, activationCode: o.activationCode ?? '123456', activationPref: 'SMS' } } };
    case 'notification': return { ...base, type: 'CardActivation', details: { status: 'activated' } } as unknown as NiPayload;
    default: return unsupportedKind('ni', kind);
  }
}

/**
 * NI's answer: its `response.status.code` says accepted (`00`) or not (the description is our code); the
 * duplicate is in the outcome header (NI's format has none); the id is the sent notification's (the answer
 * names a reference of the receiver's own).
 */
function readAcknowledgement(status: number, headers: Readonly<Record<string, string>>, body: string, sent: string): AcknowledgementReading {
  const answer = jsonOf(body) as { response?: { status?: { code?: string; description?: string } } } | undefined;
  const code = answer?.response?.status?.code;
  if (code === undefined) return readJsonAcknowledgement(status, headers, body);
  if (code !== '00') return { accepted: false, ...(answer?.response?.status?.description ? { code: answer.response.status.description } : {}) };
  const outcome = headers[OUTCOME_HEADER];
  const id = (jsonOf(sent) as { id?: unknown } | undefined)?.id;
  return { accepted: true, ...(outcome ? { duplicate: outcome === 'duplicate' } : {}), ...(typeof id === 'string' ? { id } : {}) };
}

/** NI's access token from the token endpoint at `tokenUrl`, or an error that says what to check. */
async function accessToken(tokenUrl: string, client: string): Promise<string> {
  const at = client.indexOf(':');
  try {
    return await requestAccessToken(tokenUrl, { clientId: client.slice(0, at), clientSecret: client.slice(at + 1) });
  } catch (error) {
    if (!(error instanceof TokenRequestError)) throw new Error(`cannot reach the token endpoint ${tokenUrl}: ${whyFetchFailed(error)}`);
    const check = error.status === 401 ? ': is --ni-client <id>:<secret> the client of niTokenEndpoint()?'
      : error.status === 404 ? ': is niTokenEndpoint() mounted at this path?' : '';
    throw new Error(`the token endpoint ${tokenUrl} answered ${error.answer}${check}`);
  }
}

/** NI's bearer: an access token from your `niTokenEndpoint()`, or a static bearer of `ni({ auth: { bearer } })`. Default: the shared `bearer`. */
const bearerOf = (credentials: { readonly secret?: string; readonly bearer?: string }) => credentials.secret ?? credentials.bearer;

const testKit: ProviderTestKit<NiPayload, string> = {
  kinds: ['active', 'suspended', 'deleted', 'activation_code', 'notification'],
  payload,
  sign: (_body, credentials) => {
    const bearer = bearerOf(credentials);
    return { headers: sharedSecretHeaders(bearer === undefined ? credentials : { bearer }) };
  },
  readAcknowledgement,
  options: (credentials) => {
    const bearer = bearerOf(credentials);
    return bearer === undefined ? { auth: 'none' } : { auth: { bearer } };
  },
  cli: {
    flags: {
      niClient: { spec: '--ni-client <id:secret>', about: 'client credentials for --token-url', check: checkPair('<id>:<secret>', ':'), conflicts: 'bearer' },
      tokenUrl: { spec: '--token-url <url>', about: 'the token endpoint to obtain a bearer token from', check: checkHttpUrl },
      bearer: BEARER_FLAG('a static bearer; for sign, also an access token'),
    },
    send: {
      flags: ['niClient', 'tokenUrl', 'bearer'],
      what: '--ni-client <id>:<secret> --token-url <url> (a client of niTokenEndpoint()), or --bearer <secret> (one of ni({ auth: { bearer } }))',
    },
    // sign signs nothing: it needs the bearer NI would send.
    sign: { flags: ['bearer'], what: '--bearer <token>: an access token from niTokenEndpoint(), or one of ni({ auth: { bearer } })' },
    check(flags) {
      if (flags.niClient && flags.tokenUrl === undefined) throw new Error('--ni-client needs --token-url <url>, the token endpoint to obtain an access token from');
      if (flags.tokenUrl !== undefined && !flags.niClient) throw new Error('--token-url needs --ni-client <id>:<secret>, the client to obtain an access token as');
    },
    credentials: (flags) => (flags.bearer !== undefined ? { bearer: flags.bearer } : {}),
    prepare: async (flags) => (flags.tokenUrl && flags.niClient ? { bearer: await accessToken(flags.tokenUrl, flags.niClient) } : {}),
    example: { kind: 'deleted', flags: { bearer: 'demo-ni-bearer-change-me' } },
  },
};

export const ni = defineProvider<'ni', NiPayload, NiOptions, string>({
  optionNames: {
    auth: { bearer: true, allowIps: true, oauth: true } satisfies NamesOf<NiAuth>, timestampOffset: true,
  } satisfies NamesOf<Omit<NiOptions, keyof ProviderOptions>>,
  name: 'ni',
  schema: loadSchema('ni'),
  // Personal data and the one-time code: never stored in clear (sealed with the encryption key when one is set).
  secretKeys: ['activationCode', 'textMessage', 'mobilePhone', 'email'],
  secretFields: ['activationCode'],
  /** A clear card number (`card.id.type: "cardNumber"`) is never stored, whatever its digits look like. */
  redactPayload(raw) {
    const id = raw.details?.card?.id;
    if (id?.type !== 'cardNumber' || id.value === undefined) return raw;
    return { ...raw, details: { ...raw.details, card: { ...raw.details.card, id: { ...id, value: REDACTED } } } };
  },

  authenticator(options) {
    if (options.timestampOffset !== undefined && !OFFSET.test(options.timestampOffset)) {
      throw new ConfigurationError('ERR_NTW_OPTION', "ni() timestampOffset must be 'Z' or ±hh:mm, such as '+04:00'");
    }
    return options.auth && options.auth !== 'none' ? niAuthenticator(options.auth) : undefined;
  },

  eventId: (raw) => raw.id,
  normalize,
  acknowledge,
  testKit,
});
