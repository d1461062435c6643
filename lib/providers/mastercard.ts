import { createPrivateKey, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenChange, TokenState } from '../events';
import { stateEventType } from '../events';
import { ConfigurationError } from '../errors';
import { loadSchema } from '../schema-files';
import type { NamesOf } from '../option-names';
import type { Acknowledgement, AuthOption, DeliveryOutcome, NormalizedFields, ProviderOptions } from './provider';
import { defineProvider, jsonAcknowledgement } from './provider';
import type { FieldsBuilt } from './fields';
import type { MastercardAuth } from './mastercard-certificate';
import { MASTERCARD_AUTH_NAMES, mastercardCertificateAuthenticator } from './mastercard-certificate';
import type { MastercardDecryption } from './mastercard-decryption';
import { decryptNotification, encryptNotification, heldKeys } from './mastercard-decryption';
import { parseProviderTime } from './time';
import type { AcknowledgementReading, PayloadKind, PayloadOverrides, ProviderTestKit } from './test-kit';
import { OUTCOME_HEADER } from '../shared/outcome-header';
import { jsonOf, readJsonAcknowledgement, unsupportedKind } from './test-kit';

/** A token's status, as the MDES Digital Enablement API lists them. */
export type MastercardTokenStatus = 'INACTIVE' | 'ACTIVE' | 'SUSPENDED' | 'DEACTIVATED';

/** A token's product configuration (its card art and the issuer's details), sent when it changed. */
export interface MastercardProductConfig {
  readonly brandLogoAssetId?: string;
  readonly issuerLogoAssetId?: string;
  readonly isCoBranded?: boolean | string;
  readonly coBrandName?: string;
  readonly coBrandLogoAssetId?: string;
  readonly cardBackgroundCombinedAssetId?: string;
  readonly cardBackgroundAssetId?: string;
  readonly iconAssetId?: string;
  readonly foregroundColor?: string | number;
  readonly issuerName?: string;
  readonly shortDescription?: string;
  readonly longDescription?: string;
  readonly customerServiceUrl?: string;
  readonly customerServiceEmail?: string;
  readonly customerServicePhoneNumber?: string | number;
  readonly issuerMobileApp?: unknown;
  readonly onlineBankingLoginUrl?: string;
  readonly termsAndConditionsUrl?: string;
  readonly privacyPolicyUrl?: string;
  readonly issuerProductConfigCode?: string | number;
  readonly [field: string]: unknown;
}

/** The token's and its card's details, sent when they changed (an expiry). `accountPanPrefix` is never stored. */
export interface MastercardTokenInfo {
  readonly tokenPanSuffix?: string;
  readonly accountPanPrefix?: string;
  readonly accountPanSuffix?: string;
  readonly tokenExpiry?: string | number;
  readonly accountPanExpiry?: string | number;
  readonly dsrpCapable?: string | boolean;
  readonly tokenAssuranceLevel?: number | string;
  readonly productCategory?: string;
  readonly [field: string]: unknown;
}

/** One token of a notification (`token_for_NTU`): its reference, never its number. */
export interface MastercardToken {
  readonly tokenUniqueReference: string;
  readonly tokenRequestorId?: string;
  readonly status?: MastercardTokenStatus | (string & {});
  /** The issuer's reason for a status change: `DEVICE_LOST`, `SUSPECTED_FRAUD`, `ACCOUNT_CLOSED`, … */
  readonly eventReasonCode?: string;
  /** Who suspended it: `ISSUER`, `TOKEN_REQUESTOR`, `MOBILE_PIN_LOCKED`, `CARDHOLDER`. */
  readonly suspendedBy?: readonly string[];
  readonly statusTimestamp?: string;
  readonly productConfig?: MastercardProductConfig;
  readonly tokenInfo?: MastercardTokenInfo;
}

/**
 * A `notifyTokenUpdated` request as handlers see it (`event.raw`): decrypted, as mastercard-client-encryption leaves
 * it. A request of several tokens is one event per token, each with the request around its own token.
 */
export interface MastercardPayload {
  /** The MDES host that sent it. */
  readonly responseHost: string;
  readonly requestId: string;
  readonly encryptedPayload: {
    readonly encryptedData: { readonly tokens: readonly MastercardToken[] };
  };
}

export type { MastercardAuth } from './mastercard-certificate';
export type { MastercardDecryption, MastercardDecryptionKey } from './mastercard-decryption';

/** `mastercard(options)`: the keys it decrypts with, how MDES's connection is authenticated, and the host name it answers with. */
export type MastercardOptions = ProviderOptions & AuthOption<MastercardAuth> & {
  /**
   * The key pair Mastercard encrypts notifications to: `{ privateKey, certificate? }`, several while you rotate.
   * Without it, the endpoint takes notifications decrypted before they reach it (by a gateway of yours).
   */
  readonly decryption?: MastercardDecryption;
  /** Your host name, answered as `responseHost` (MDES routes later calls of the conversation to it). */
  readonly responseHost?: string;
};

/** What the test kit encrypts with: the private key of `mastercard({ decryption })` (PEM), and its certificate when Mastercard names the key by it. */
export interface MastercardTestSecret {
  readonly privateKey: string;
  readonly certificate?: string;
}

/**
 * MDES's token statuses as EMVCo states. `DEACTIVATED` ("permanently deactivated") is `DELETED`, keeping
 * Mastercard's word as `reasonCode`; a suspension lifted ("unsuspended") is a notification of `ACTIVE`.
 */
const STATES: Readonly<Record<string, { readonly state: TokenState; readonly reasonCode?: string }>> = {
  INACTIVE: { state: 'INACTIVE' },
  ACTIVE: { state: 'ACTIVE' },
  SUSPENDED: { state: 'SUSPENDED' },
  DEACTIVATED: { state: 'DELETED', reasonCode: 'DEACTIVATED' },
};

const tokensOf = (raw: MastercardPayload): readonly MastercardToken[] => raw.encryptedPayload.encryptedData.tokens;

/**
 * One event per token: the request with that token alone. The parts are what each event keeps (`raw`), so none
 * of them holds the other tokens.
 */
function split(raw: MastercardPayload): readonly MastercardPayload[] | undefined {
  const tokens = tokensOf(raw);
  if (tokens.length < 2) return undefined;
  return tokens.map((token) => ({ ...raw, encryptedPayload: { ...raw.encryptedPayload, encryptedData: { ...raw.encryptedPayload.encryptedData, tokens: [token] } } }));
}

/**
 * `requestId` and the token's `tokenUniqueReference`. MDES does not say whether a retry keeps `requestId` ("unique
 * identifier for the request"); a retry resends the request, and the API's other messages are retried by their
 * sender with the same id, so it is taken as the request's. A content hash would lose a real change that returns
 * to an earlier value (card art A, then B, then A again); a new id on a retry costs a repeated event at most.
 */
function eventId(raw: MastercardPayload): string {
  const token = tokensOf(raw)[0];
  return token ? `${raw.requestId}:${token.tokenUniqueReference}` : raw.requestId;
}

/**
 * Each token: its status as an EMVCo state (its handler fires when the state changed; `eventReasonCode` is the
 * `reason`), and what the notification carries besides: `productConfig` (card art) is a metadata change,
 * `tokenInfo` (the token's or its card's details, an expiry) a card change. A token without a status is an
 * update; one with a status no specification lists changes no state. A request of no token is a notification.
 */
function normalize(raw: MastercardPayload): NormalizedFields {
  const token = tokensOf(raw)[0];
  if (!token) return { type: 'notification', kind: 'notifyTokenUpdated', tokenRef: '', changes: [] };
  const occurredAt = token.statusTimestamp ? parseProviderTime(token.statusTimestamp) : undefined;
  const tokenRef = token.tokenUniqueReference;
  const changes: TokenChange[] = [];
  if (token.productConfig) changes.push('metadata');
  if (token.tokenInfo) changes.push('card');
  const mapped = token.status === undefined ? undefined : STATES[token.status];
  const fields: FieldsBuilt = token.status === undefined ? { type: 'token.updated', tokenRef, changes: changes.length > 0 ? changes : ['token'] }
    : !mapped ? { type: 'token.updated', tokenRef, reasonCode: token.status, changes: [...changes, 'status'] }
      : { type: stateEventType(mapped.state), tokenRef, state: mapped.state, changes };
  if (mapped?.reasonCode) fields.reasonCode = mapped.reasonCode;
  if (token.eventReasonCode) fields.reason = token.eventReasonCode;
  if (occurredAt) fields.occurredAt = occurredAt;
  return fields;
}

/** `{ responseHost, responseId }` (`NotifyTokenUpdatedResponseSchema`): your host name and the request's id; a refusal in the package's format. */
function acknowledge(outcome: DeliveryOutcome, options: MastercardOptions): Acknowledgement {
  if (!outcome.ok) return jsonAcknowledgement(outcome);
  const requestId = (outcome.payload as Partial<MastercardPayload> | undefined)?.requestId;
  return { status: 200, body: { ...(options.responseHost ? { responseHost: options.responseHost } : {}), ...(typeof requestId === 'string' ? { responseId: requestId } : {}) } };
}

/** An answer: `responseId` names the request (the notification id a kit's payload was built with); a duplicate is in the `ntw-outcome` header. */
function readAcknowledgement(status: number, headers: Readonly<Record<string, string>>, body: string): AcknowledgementReading {
  if (status < 200 || status >= 300) return readJsonAcknowledgement(status, headers, body);
  const answer = jsonOf(body) as { responseId?: unknown } | undefined;
  const outcome = headers[OUTCOME_HEADER];
  return {
    accepted: true,
    ...(outcome ? { duplicate: outcome === 'duplicate' } : {}),
    ...(typeof answer?.responseId === 'string' && answer.responseId ? { id: answer.responseId } : {}),
  };
}

/** The test kit's host names: MDES's as its request names it, and the token requestor's answered. */
const MDES_HOST = 'api.mastercard.com';
const KIT_RESPONSE_HOST = 'tokens.merchant.example';

const KIND_TOKENS: Partial<Record<PayloadKind, (at: string) => Omit<MastercardToken, 'tokenUniqueReference'>>> = {
  active: (at) => ({ tokenRequestorId: '98765432101', status: 'ACTIVE', statusTimestamp: at }),
  suspended: (at) => ({ tokenRequestorId: '98765432101', status: 'SUSPENDED', eventReasonCode: 'SUSPECTED_FRAUD', suspendedBy: ['ISSUER'], statusTimestamp: at }),
  deleted: (at) => ({ tokenRequestorId: '98765432101', status: 'DEACTIVATED', eventReasonCode: 'ACCOUNT_CLOSED', statusTimestamp: at }),
  updated: () => ({
    tokenRequestorId: '98765432101',
    productConfig: {
      brandLogoAssetId: '800200c9-629d-11e3-949a-0739d27e5a66', issuerLogoAssetId: 'dbc55444-986a-4896-b41c-5d5e2dd431e2', isCoBranded: false,
      cardBackgroundCombinedAssetId: '739d27e5-629d-11e3-949a-0800200c9a66', iconAssetId: '739d87e5-629d-11e3-949a-0800200c9a66',
      foregroundColor: '000000', issuerName: 'Issuing Bank', shortDescription: 'Bank Rewards MasterCard',
    },
  }),
};

/** A `notifyTokenUpdated` request, decrypted (as the API specification types it); `sign` encrypts it as MDES sends it. */
function payload(kind: PayloadKind, o: PayloadOverrides<MastercardPayload>): MastercardPayload {
  const token = KIND_TOKENS[kind];
  if (!token) return unsupportedKind('mastercard', kind);
  return {
    responseHost: MDES_HOST,
    requestId: o.id ?? String(randomInt(100_000_000, 1_000_000_000)),
    encryptedPayload: {
      encryptedData: {
        tokens: [{ tokenUniqueReference: o.tokenRef ?? 'DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45', ...token((o.occurredAt ?? new Date()).toISOString()) }],
      },
    },
  };
}

/** The request encrypted to the secret's key, as MDES sends it; a body that is no such request is sent as it is. */
function encrypted(body: string | Buffer, secret: MastercardTestSecret): string | undefined {
  const request = jsonOf(Buffer.isBuffer(body) ? body.toString('utf8') : body) as { encryptedPayload?: { encryptedData?: unknown } } | undefined;
  const data = request?.encryptedPayload?.encryptedData;
  if (data === null || typeof data !== 'object') return undefined;
  return JSON.stringify(encryptNotification(request as Record<string, unknown>, secret.certificate ? { certificate: secret.certificate } : { publicKey: secret.privateKey }));
}

const readKey = (path: string): string => {
  const pem = readFileSync(path, 'utf8');
  createPrivateKey(pem);
  return pem;
};

const testKit: ProviderTestKit<MastercardPayload, MastercardTestSecret> = {
  kinds: ['active', 'suspended', 'deleted', 'updated'],
  payload,
  sign: (body, { secret }) => {
    const sealed = secret ? encrypted(body, secret) : undefined;
    return sealed === undefined ? { headers: {} } : { headers: {}, body: sealed };
  },
  readAcknowledgement,
  // A test delivery presents no client certificate: the kit's endpoint checks the encryption alone.
  options: ({ secret }) => (secret
    ? { auth: 'none', decryption: { privateKey: secret.privateKey, ...(secret.certificate ? { certificate: secret.certificate } : {}) }, responseHost: KIT_RESPONSE_HOST }
    : { auth: 'none' }),
  cli: {
    flags: {
      decryptionKey: {
        spec: '--decryption-key <file>',
        about: 'the PEM file of a private key of mastercard({ decryption }): the notification is encrypted to its public key',
        check: (path) => {
          try {
            readKey(path);
          } catch {
            throw new Error('must be the PEM file of an RSA private key');
          }
          return path;
        },
      },
    },
    send: { flags: ['decryptionKey'], what: '--decryption-key <PEM file> (a private key of mastercard({ decryption }))' },
    credentials: (flags) => (flags.decryptionKey === undefined ? {} : { secret: { privateKey: readKey(flags.decryptionKey) } }),
    example: { kind: 'active', flags: { decryptionKey: 'examples/mastercard-demo-decryption-key.pem' } },
  },
};

/**
 * Mastercard MDES (`webhooks.mastercard({ decryption, auth: { clientCertificate: { commonName } }, responseHost? })`): the
 * Digital Enablement API's `notifyTokenUpdated`, MDES's call to a token requestor over mutual TLS, its tokens in an
 * `encryptedPayload` decrypted with the token requestor's key.
 */
export const mastercard = defineProvider<'mastercard', MastercardPayload, MastercardOptions, MastercardTestSecret>({
  optionNames: {
    auth: MASTERCARD_AUTH_NAMES, decryption: true, responseHost: true,
  } satisfies NamesOf<Omit<MastercardOptions, keyof ProviderOptions>>,
  name: 'mastercard',
  schema: loadSchema('mastercard'),
  // With the card's last four digits, its first six would narrow its number down; and a phone number in the issuer's
  // details is not told apart from a cardholder's by its shape: neither is stored (handlers see them in `raw`).
  secretKeys: ['accountPanPrefix', 'customerServicePhoneNumber'],

  authenticator: (options) => (options.auth && options.auth !== 'none' ? mastercardCertificateAuthenticator(options.auth) : undefined),

  /** Mounted whatever the authentication: the keys, and the host name answered, are checked at start-up. */
  decrypter(options) {
    if (options.responseHost !== undefined && (typeof options.responseHost !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(options.responseHost))) {
      throw new ConfigurationError('ERR_NTW_OPTION', 'mastercard() responseHost must be your host name, such as tokens.example.com');
    }
    const keys = heldKeys(options.decryption);
    return (payload) => decryptNotification(payload, keys);
  },
  split,
  eventId,
  normalize,
  acknowledge,
  testKit,
});
