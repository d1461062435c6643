import { hash } from 'node:crypto';
import type { UnprojectedEvent } from '../ledger/event-for-handlers';
import { ConfigurationError, WebhookError } from '../errors';
import type { NormalizeContext, NormalizedFields } from '../providers/provider';
import { namesCardNumber, redactValue } from '../redact';
import { logger } from '../log';
import { describeError } from '../shared/describe-error';
import { factsOf } from '../shared/parse-json';
import { extensibleCopy } from '../shared/copy';
import type { FieldsBuilt } from '../providers/fields';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { NormalizedEvent, StoredPayload } from '../ledger/record';
import type { RequestHeaders } from './request';

const log = logger('normalize');

/**
 * What an event means, hashed: equal ids with other fingerprints are conflicting duplicates. Only what
 * the provider said counts (a time of receipt differs on every retry), and no envelope field a provider
 * changes on every retry.
 */
function fingerprintOf(fields: NormalizedFields, occurredAt: Date | undefined): string {
  const meaning = JSON.stringify([fields.type, fields.tokenRef, fields.state ?? null, occurredAt?.getTime() ?? null,
    fields.reason ?? null, fields.reasonCode ?? null, fields.changes ?? NO_CHANGES]);
  let fingerprint = recentFingerprints.get(meaning);
  if (fingerprint === undefined) {
    fingerprint = hash('sha256', meaning, 'base64url');
    if (recentFingerprints.size >= RECENT_FINGERPRINTS) recentFingerprints.clear();
    recentFingerprints.set(meaning, fingerprint);
  }
  return fingerprint;
}

/**
 * The fingerprints of the meanings last hashed: a copy of an event (most of what a provider retries) means what
 * its first delivery meant, and finding its hash here costs a fraction of hashing it again. Emptied when full.
 */
const recentFingerprints = new Map<string, string>();
const NO_CHANGES: readonly unknown[] = Object.freeze([]);
const RECENT_FINGERPRINTS = 1024;

const MAX_KEY_LENGTH = 512;
// C0 controls (NUL among them, which PostgreSQL cannot store), DEL, and unpaired surrogates.
const UNSTORABLE = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The alphabet of ids and token references: well-formed Unicode (an unpaired surrogate would become U+FFFD in
 * PostgreSQL and collide with another id) without control characters, at most 512 characters. No provider
 * sends anything else; checked before anything is stored, so every adapter stores exactly what it is given.
 */
function storable(value: string, emptyAllowed: boolean): boolean {
  return (emptyAllowed || value.length > 0) && value.length <= MAX_KEY_LENGTH && !UNSTORABLE.test(value);
}

/** A token reference or id with a card number as one of its words is replaced whole by the card number's keyed hash. */
function withoutCardNumber(value: string, context: NormalizeContext): string {
  return namesCardNumber(value) ? context.cardReference(value) : value;
}

/**
 * A JSON number of 13 characters or more (`0.41111111111111111`, `4111111111111111.0`): the text shows digits that
 * JSON.parse rounded or reshaped, so the redaction, which saw the parsed number, cannot vouch for them. Numbers
 * start after `:`, `[` or `,`; digit runs inside strings were checked string by string.
 */
const LONG_NUMBER = /(?:^|[:,[])\s*-?[0-9][0-9.eE+-]{12}/;

/**
 * The payload to keep: redacted. Nothing redacted, the text received is its JSON already; not when that text
 * holds a long number (`LONG_NUMBER`, or what the parser found of it): then the payload is serialized again.
 * Whether anything is to be redacted is told from the text when it can be (`Endpoint.cleanText`, a few scans of
 * it), else by walking the payload.
 */
function storedPayloadOf(endpoint: Endpoint, payload: unknown, payloadJson: string | undefined): StoredPayload {
  const facts = payloadJson === undefined ? undefined : factsOf(payloadJson);
  const keepable = payloadJson !== undefined && !(facts ? facts.longNumber : LONG_NUMBER.test(payloadJson));
  if (keepable && endpoint.cleanText?.(payloadJson, facts)) return { payload, json: payloadJson };
  const redacted = endpoint.redact(payload);
  return redacted === payload && keepable ? { payload, json: payloadJson } : { payload: redacted };
}

/** What a provider's `split`, `eventId` and `normalize` may use besides the payload: one object per delivery, its methods shared. */
export class DeliveryContext implements NormalizeContext {
  constructor(readonly scope: string | undefined, readonly cardReference: (cardNumber: string) => string,
    private readonly headers: RequestHeaders | undefined) {}

  header(name: string): string | undefined {
    const value = this.headers?.[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }
}

/**
 * Step 5: the provider's payload as one normalized event, with its id, fingerprint and the payload to keep.
 * An event time further ahead than the clock-skew allowance is clamped to the time of receipt, so that a
 * wrong or forged date can never pin a token's state.
 */
export function normalize(endpoint: Endpoint, core: Pick<DeliveryCore, 'clockSkewMs' | 'cardReference'> & Partial<Pick<DeliveryCore, 'logger'>>, payload: unknown,
  rawBody: Buffer, receivedAt: Date, scope: string | undefined, payloadJson?: string, headers?: RequestHeaders): NormalizedEvent {
  return normalizeIn(new DeliveryContext(scope, core.cardReference, headers), endpoint, core, payload, rawBody, receivedAt, payloadJson);
}

/** `normalize` in a delivery's context (one for all the events it carries). */
export function normalizeIn(context: DeliveryContext, endpoint: Endpoint, core: Pick<DeliveryCore, 'clockSkewMs'> & Partial<Pick<DeliveryCore, 'logger'>>, payload: unknown,
  rawBody: Buffer, receivedAt: Date, payloadJson?: string): NormalizedEvent {
  const { provider, options } = endpoint;
  let fields: NormalizedFields;
  let tokenRef: string;
  let id: string;
  try {
    fields = provider.normalize(payload, options, context);
    tokenRef = withoutCardNumber(fields.tokenRef, context);
    id = withoutCardNumber(provider.eventId(payload, rawBody, options, context), context);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    // The schema let through something the provider module cannot read: still the sender's payload at fault.
    log.warn({ provider: provider.name, code: 'schema_violation', error: describeError(error) }, 'normalize failed', core.logger);
    throw new WebhookError('schema_violation', { issues: [{ path: '/', message: 'payload cannot be normalized' }] });
  }
  if (!storable(id, false) || !storable(tokenRef, true)) throw new WebhookError('unstorable_id');
  let given = fields.occurredAt && !Number.isNaN(fields.occurredAt.getTime()) ? fields.occurredAt : undefined;
  if (given && given.getTime() > receivedAt.getTime() + core.clockSkewMs) {
    log.info({ provider: provider.name, eventId: id, occurredAt: given.toISOString() }, 'dated ahead of the clock-skew allowance: clamped to its receipt', core.logger);
    given = undefined;
  }
  // The event is built on one copy of what the provider normalized: a few copies of it per delivery add up.
  const event: Record<string, unknown> & FieldsBuilt = extensibleCopy(fields) as NormalizedFields & Record<string, unknown>;
  event.tokenRef = tokenRef;
  // Free text taken from the payload is kept with the event: no card number or email in it.
  if (fields.reason !== undefined) event.reason = redactValue(fields.reason);
  if (fields.reasonCode !== undefined) event.reasonCode = redactValue(fields.reasonCode);
  if (fields.kind !== undefined) event.kind = redactValue(fields.kind);
  const fingerprint = fingerprintOf(event, given);
  event.changes = fields.changes ?? [];
  event.id = id;
  event.provider = provider.name;
  event.occurredAt = given ?? receivedAt;
  event.receivedAt = receivedAt;
  event.raw = payload;
  return new Normalized(event as unknown as UnprojectedEvent, fingerprint, provider.secretFields ?? NO_SECRET_FIELDS, endpoint, payload, payloadJson);
}

const NO_SECRET_FIELDS: readonly string[] = Object.freeze([]);

/** A normalized event: its payload to keep made when first asked (a duplicate answered at once never asks). */
class Normalized implements NormalizedEvent {
  private kept: StoredPayload | undefined = undefined;

  constructor(readonly event: UnprojectedEvent, readonly fingerprint: string, readonly secretFields: readonly string[],
    private readonly endpoint: Endpoint, private readonly payload: unknown, private readonly payloadJson: string | undefined) {}

  stored(): StoredPayload {
    return (this.kept ??= storedPayloadOf(this.endpoint, this.payload, this.payloadJson));
  }
}
