import { randomInt } from 'node:crypto';
import type { TokenState } from '../events';
import { stateEventType } from '../events';
import { loadSchema } from '../schema-files';
import type { SharedSecretAuth } from '../auth/shared-secret';
import { sharedSecretAuthenticator } from '../auth/shared-secret';
import type { OAuthClientCredentialsOptions } from '../auth/client-credentials';
import type { OAuthTokenEndpoint, OAuthTokenVerifier } from '../auth/oauth-token-endpoint';
import { oauthTokenEndpoint } from '../auth/oauth-token-endpoint';
import type { Acknowledgement, DeliveryOutcome, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider } from './provider';
import { parseProviderTime } from './time';

export type NiNotificationType = 'AC' | 'TC' | 'TD' | 'TE';
export type NiTokenEventIndicator = '3' | '4' | '6' | '7';

/** A Network International Token Notification. */
export interface NiPayload {
  readonly id: string;
  readonly type: NiNotificationType;
  readonly timestamp: string;
  readonly details: {
    readonly card: {
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
    readonly textMessage?: string;
    readonly token?: {
      readonly activationPref?: string;
      readonly requestorId?: string;
      readonly requestorName?: string;
      readonly activationCode?: string;
      readonly deviceType?: string;
      readonly tokenEventReasonCode?: string;
      readonly tokenEventIndicator?: NiTokenEventIndicator;
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

export type NiOptions = ProviderOptions & {
  readonly auth?: NiAuth | 'none';
};

function niAuthenticator(auth: NiAuth) {
  const oauth = auth.oauth;
  const verifier = oauth === undefined ? undefined
    : typeof (oauth as OAuthTokenVerifier).verify === 'function' ? (oauth as OAuthTokenVerifier)
      : niTokenEndpoint(oauth as OAuthClientCredentialsOptions);
  return sharedSecretAuthenticator(auth, 'ni()', verifier ? { verifyBearer: (token) => verifier.verify(token) } : {});
}

const INDICATORS: Record<NiTokenEventIndicator, { state: TokenState; reason: string }> = {
  3: { state: 'DELETED', reason: 'Deactivate' },
  4: { state: 'DELETED', reason: 'Delete' },
  6: { state: 'SUSPENDED', reason: 'Suspend' },
  7: { state: 'ACTIVE', reason: 'Resume' },
};

const NI_TYPES: ReadonlySet<string> = new Set<NiNotificationType>(['AC', 'TC', 'TD', 'TE']);

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
      // Echo only a known type: a refused payload's free text (a code, a phone number) never comes back.
      type: typeof requestType === 'string' && NI_TYPES.has(requestType) ? requestType : '',
      timestamp: new Date().toISOString(),
      response: {
        status: { code: responseCode(status), description: outcome.ok ? 'successful' : outcome.error.code },
      },
      ...(issues ? { errors: issues } : {}),
    },
  };
}

export const ni = defineProvider<'ni', NiPayload, NiOptions>({
  name: 'ni',
  schema: loadSchema('ni'),
  secretKeys: ['activationCode'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? niAuthenticator(options.auth) : undefined),

  eventId: (raw) => raw.id,

  normalize(raw): NormalizedFields {
    const { card, token } = raw.details;
    const common = {
      // NI names no token id: a token is the card (NI's id, else the masked number) within one token requestor.
      tokenRef: `${card.id?.value ?? card.maskedCardNumber}:${token?.requestorId ?? ''}`,
      occurredAt: parseProviderTime(raw.timestamp),
      changes: [],
      ...(token?.tokenEventReasonCode ? { reasonCode: token.tokenEventReasonCode } : {}),
    };
    switch (raw.type) {
      case 'AC':
        return { ...common, type: 'token.activation_code', reason: 'Activation code', ...(token?.activationCode ? { activationCode: token.activationCode } : {}) };
      case 'TC':
        return { ...common, type: 'token.active', state: 'ACTIVE', reason: 'Token completion' };
      case 'TE':
        return { ...common, type: 'token.active', state: 'ACTIVE', reason: 'Token resume' };
      case 'TD': {
        const { state, reason } = INDICATORS[token!.tokenEventIndicator!];
        return { ...common, type: stateEventType(state), state, reason };
      }
    }
  },

  acknowledge,
});
