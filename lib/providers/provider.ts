import type { TokenChange, TokenEventType, TokenState } from '../events';
import type { WebhookError } from '../errors';
import type { OptionNames } from '../option-names';
import { ConfigurationError } from '../errors';
import type { AuthenticateFn, Authenticator } from '../auth/authenticator';
import type { ProviderTestKit } from './test-kit';

export type { AuthenticateFn, Authenticator, DeliveryRequest, Verified } from '../auth/authenticator';

/** A JSON Schema (draft-07 or 2019-09 as ajv understands it). */
export type JsonSchema = Record<string, unknown>;

/** What a provider's `normalize` returns; the pipeline adds `id`, `provider`, `receivedAt` and `stale`. */
export interface NormalizedFields {
  readonly type: TokenEventType;
  /** The token's identity within the provider; `''` when the notification names none. Never a card number: see `NormalizeContext.cardReference`. */
  readonly tokenRef: string;
  readonly state?: TokenState;
  readonly previousState?: TokenState;
  readonly reason?: string;
  readonly reasonCode?: string;
  readonly changes?: readonly TokenChange[];
  /** Defaults to the time of receipt when the provider gives none. */
  readonly occurredAt?: Date;
  readonly activationCode?: string;
  /** `notification` events: the provider's own name for it. Default `'unknown'`. */
  readonly kind?: string;
}

/** What `normalize` may use besides the payload. */
export interface NormalizeContext {
  /** Set when the authenticator verified only part of the body (its `Verified.scope`): nothing outside that part may decide anything. */
  readonly scope?: string;
  /**
   * A stable, non-reversible reference for a card number: an HMAC-SHA256 under the `referenceKey` the app
   * configured, `card_<base64url>`. Throws (the delivery is answered retry-later and reported) when no key is configured.
   */
  cardReference(cardNumber: string): string;
  /**
   * A request header's value (its first, when repeated), by name in any case: for a provider that sends the
   * notification id in a header (`webhook-id`). The pipeline always gives it; a quarantined delivery replayed
   * later has no headers (`undefined`).
   */
  header?(name: string): string | undefined;
}

/** Options every provider accepts. */
export interface ProviderOptions {
  /** Replaces the provider's own authentication with your check. */
  readonly authenticate?: AuthenticateFn;
  /** Body size limit in bytes, of the decoded body. Default 65536. */
  readonly limit?: number;
  /** Longest wait for the whole body to arrive, in ms; a slower one is answered `408 body_timeout`. Default 5000. */
  readonly bodyTimeoutMs?: number;
  /** Replaces the provider's JSON Schema. */
  readonly schema?: JsonSchema;
  /**
   * `true`: an authentic delivery that fails the schema or cannot be normalized is acknowledged, kept
   * (protected as every payload is) and reported to `onError` (`ERR_NTW_QUARANTINED`), to be replayed once a
   * schema or mapping override is in place. Default `false`: it is refused with `400 schema_violation`.
   */
  readonly quarantine?: boolean;
}

/**
 * A built-in provider's authentication, which its options must state: `auth` (its credentials, or `'none'` to
 * accept unauthenticated deliveries, with a warning at start-up), or an `authenticate` hook of yours instead.
 * Options with neither do not compile, as they would not start (`ERR_NTW_AUTH_REQUIRED`).
 */
export type AuthOption<Auth> =
  | { readonly authenticate: AuthenticateFn; readonly auth?: Auth | 'none' }
  | { readonly auth: Auth | 'none' };

/** One event of a delivery that carried several. */
export interface EventOutcome {
  readonly eventId: string;
  readonly duplicate: boolean;
}

export type DeliveryOutcome =
  | {
    /** The event's id; of a delivery of several events, the first one's. */
    readonly ok: true; readonly eventId: string;
    /** Of a delivery of several events: every one was a duplicate. */
    readonly duplicate: boolean;
    readonly payload: unknown;
    /** A delivery that carried several events (`Provider.split`): each one's id and whether it was a duplicate, in order. */
    readonly events?: readonly EventOutcome[];
    /** Kept for inspection instead of refused (the endpoint's `quarantine` option). */
    readonly quarantined?: boolean;
    /** A sender's health check, answered by the pipeline itself. */
    readonly healthCheck?: boolean;
  }
  | { readonly ok: false; readonly error: WebhookError; readonly payload: unknown };

/** The answer a provider expects: `body` as JSON, or `rawBody` as it is (XML, plain text, `''` for none) with its `contentType`. */
export interface Acknowledgement {
  readonly status: number;
  /** Sent as JSON (`application/json; charset=utf-8`). */
  readonly body?: unknown;
  /** Sent as it is instead of `body`. */
  readonly rawBody?: string;
  /** The answer's content type. Default: JSON for `body`; `text/plain; charset=utf-8` for a non-empty `rawBody`; none for an empty one. */
  readonly contentType?: string;
}

/**
 * One provider: the only place that knows its payload. The pipeline calls these
 * functions and nothing else; the built-in providers use this same interface.
 */
export interface Provider<Name extends string = string, Raw = unknown, Options extends ProviderOptions = ProviderOptions, Secret = unknown> {
  readonly name: Name;
  readonly schema: JsonSchema;
  /**
   * The names of the options this provider takes besides `ProviderOptions` (nested for plain-object options):
   * an unknown one fails at mount (`ERR_NTW_UNKNOWN_OPTION`). Without it, the options' names are not checked.
   */
  readonly optionNames?: OptionNames;
  /** Answer a sender's health check with 200: a `GET`, or a `POST` with an empty body. */
  readonly healthCheck?: boolean;
  /** Payload keys whose values are secrets or personal data: replaced before anything is stored (sealed with the encryption key when one is set). */
  readonly secretKeys?: readonly string[];
  /** Normalized event fields that are secrets (NI's `activationCode`): never stored in clear, sealed with the encryption key when one is set. */
  readonly secretFields?: readonly string[];
  /** The payload with fields removed that the key names alone cannot say are secret (a card number by its type field), before the generic redaction. */
  redactPayload?(raw: Raw): Raw;
  /**
   * Called once when the endpoint is mounted: validate the options (throw `ConfigurationError`)
   * and return the check every delivery must pass, or `undefined` when the provider has none configured.
   */
  authenticator(options: Options): Authenticator | undefined;
  /**
   * A delivery that carries several events: each one as a payload of its own, which `eventId` and `normalize`
   * then read; `undefined` when this delivery is one event. Each is deduped and run on its own, in order, and the
   * delivery is answered after all of them. Without `split`, every delivery is one event.
   */
  split?(raw: Raw, options: Options, context: NormalizeContext): readonly Raw[] | undefined;
  /** The notification id: the dedupe key. Must be the same on every retry of one notification. */
  eventId(raw: Raw, rawBody: Buffer, options: Options, context: NormalizeContext): string;
  normalize(raw: Raw, options: Options, context: NormalizeContext): NormalizedFields;
  /**
   * For a payload that arrives encrypted (Mastercard MDES): called once when the endpoint is mounted, validates the
   * keys of the options (throw `ConfigurationError`) and returns the function that decrypts each delivery's payload.
   * It runs after authentication and before the schema; what it returns is what the schema, `split`, `eventId` and
   * `normalize` read, and what is kept (redacted) instead of the ciphertext, so that a quarantined delivery is
   * replayed without decrypting again. It throws a `WebhookError` to refuse the delivery with that code, and a
   * `ConfigurationError` when the receiver holds no key for it (reported to `onError`, answered retry-later).
   */
  decrypter?(options: Options): (payload: unknown) => unknown;
  /** The response the provider expects, given the endpoint's options (a host name it answers with). Default: `jsonAcknowledgement`. */
  acknowledge?(outcome: DeliveryOutcome, options: Options): Acknowledgement;
  /**
   * Its notifications as it sends them, how it authenticates them (with a `Secret` of its own, such as a signing
   * key) and how its answers read: for `network-token-webhooks/testing`, the sender CLI and the demo.
   */
  readonly testKit?: ProviderTestKit<Raw, Secret>;
}

/** The payload type of a provider. */
export type RawOf<P> = P extends Provider<string, infer R, ProviderOptions> ? R : never;
/** The endpoint options of a provider. */
export type OptionsOf<P> = P extends Provider<string, unknown, infer O> ? O : never;
/** The secret a provider's test kit signs with (`TestCredentials[name]`). */
export type SecretOf<P> = P extends Provider<string, unknown, ProviderOptions, infer S> ? S : never;

const PROVIDER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Declare a provider: the built-in four are declared this way, and so can yours be. */
export function defineProvider<Name extends string, Raw, Options extends ProviderOptions = ProviderOptions, Secret = unknown>(
  provider: Provider<Name, Raw, Options, Secret>,
): Provider<Name, Raw, Options, Secret> {
  if (!PROVIDER_NAME.test(provider.name)) {
    throw new ConfigurationError('ERR_NTW_PROVIDER_NAME', `Provider name must match ${PROVIDER_NAME}`);
  }
  if (typeof provider.schema !== 'object' || provider.schema === null) {
    throw new ConfigurationError('ERR_NTW_PROVIDER_SCHEMA', `Provider "${provider.name}" needs a JSON Schema object`);
  }
  for (const fn of ['authenticator', 'eventId', 'normalize'] as const) {
    if (typeof provider[fn] !== 'function') {
      throw new ConfigurationError('ERR_NTW_PROVIDER_INTERFACE', `Provider "${provider.name}" must implement ${fn}()`);
    }
  }
  for (const fn of ['split', 'decrypter'] as const) {
    if (provider[fn] !== undefined && typeof provider[fn] !== 'function') {
      throw new ConfigurationError('ERR_NTW_PROVIDER_INTERFACE', `Provider "${provider.name}": ${fn} must be a function`);
    }
  }
  return provider;
}

/**
 * The default response format: 2xx `{ received, id, duplicate }` (a delivery of several events adds
 * `events: [{ id, duplicate }]`), errors `{ error: { code, message, issues? } }`.
 */
export function jsonAcknowledgement(outcome: DeliveryOutcome): Acknowledgement {
  if (outcome.ok && outcome.events) {
    return { status: 200, body: { received: true, id: outcome.eventId, duplicate: outcome.duplicate, events: outcome.events.map((e) => ({ id: e.eventId, duplicate: e.duplicate })) } };
  }
  if (outcome.ok) return { status: 200, body: { received: true, id: outcome.eventId, duplicate: outcome.duplicate } };
  const { code, message, issues, status } = outcome.error;
  return { status, body: { error: issues ? { code, message, issues } : { code, message } } };
}
