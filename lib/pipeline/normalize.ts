import { createHash } from 'node:crypto';
import type { UnprojectedEvent } from '../events';
import { WebhookError } from '../errors';
import type { NormalizedFields } from '../providers/provider';
import { logger } from '../log';
import { describeError } from '../delivery/describe-error';
import type { Endpoint } from './endpoint';
import type { ReadyEvent } from './record';

const log = logger('normalize');

/**
 * What an event means, hashed: equal ids with other fingerprints are conflicting duplicates. Only what
 * the provider said counts (a time of receipt differs on every retry), and no envelope field a provider
 * changes on every retry.
 */
function fingerprintOf(fields: NormalizedFields, occurredAt: Date | undefined): string {
  const meaning = [fields.type, fields.tokenRef, fields.state ?? null, occurredAt?.getTime() ?? null,
    fields.reason ?? null, fields.reasonCode ?? null, fields.changes ?? []];
  return createHash('sha256').update(JSON.stringify(meaning)).digest('base64url');
}

/** Step 5: the provider's payload as the one normalized event, with its id, fingerprint and the payload to keep. */
export function normalize(endpoint: Endpoint, payload: unknown, rawBody: Buffer, receivedAt: Date): ReadyEvent {
  const { provider, options } = endpoint;
  let fields: NormalizedFields;
  let id: string;
  try {
    fields = provider.normalize(payload, options);
    id = provider.eventId(payload, rawBody, options);
  } catch (error) {
    // The schema let through something the provider module cannot read: still the sender's payload at fault.
    log('%s normalize failed: %s', provider.name, describeError(error));
    throw new WebhookError('schema_violation', { issues: [{ path: '/', message: 'payload cannot be normalized' }] });
  }
  const given = fields.occurredAt && !Number.isNaN(fields.occurredAt.getTime()) ? fields.occurredAt : undefined;
  const event = {
    ...fields,
    changes: fields.changes ?? [],
    id,
    provider: provider.name,
    occurredAt: given ?? receivedAt,
    receivedAt,
    raw: payload,
  } as UnprojectedEvent;
  return {
    event,
    fingerprint: fingerprintOf(fields, given),
    storedPayload: endpoint.redact(payload),
    secretFields: provider.secretKeys ?? [],
  };
}
