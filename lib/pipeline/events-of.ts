import { ConfigurationError, WebhookError } from '../errors';
import type { EventOutcome } from '../providers/provider';
import { logger } from '../log';
import type { Logger } from '../log';
import { describeError } from '../shared/describe-error';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import { DeliveryContext, normalizeIn } from './normalize';
import type { NormalizedEvent } from '../ledger/record';
import type { RequestHeaders } from './request';

const log = logger('normalize');

/** A delivery of several events (`Provider.split`): each normalized, in the order the provider sent them. */
export interface SeveralEvents {
  readonly several: readonly NormalizedEvent[];
}

export const isSeveral = (events: NormalizedEvent | SeveralEvents): events is SeveralEvents => 'several' in events;

const unreadable = () => new WebhookError('schema_violation', { issues: [{ path: '/', message: 'payload cannot be normalized' }] });

/** The parts `split` makes of a payload (`undefined`: it is one event), or the sender's fault when it cannot read it. */
function partsOf(endpoint: Endpoint, payload: unknown, context: DeliveryContext, logTo: Logger | undefined): readonly unknown[] | undefined {
  const { provider } = endpoint;
  let parts: readonly unknown[] | undefined;
  try {
    parts = provider.split!(payload, endpoint.options, context);
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    log.warn({ provider: provider.name, code: 'schema_violation', error: describeError(error) }, 'split failed', logTo);
    throw unreadable();
  }
  if (parts !== undefined && (!Array.isArray(parts) || parts.length === 0)) throw unreadable();
  return parts;
}

/**
 * Step 5 for every event a delivery carries: one for most providers, several for one whose `split` makes parts
 * of it. Every part is normalized before any is recorded, so a part that cannot be read refuses (or quarantines)
 * the whole delivery, as a single event would.
 */
export function eventsOf(endpoint: Endpoint, core: Pick<DeliveryCore, 'clockSkewMs' | 'cardReference'> & Partial<Pick<DeliveryCore, 'logger'>>, payload: unknown, rawBody: Buffer,
  receivedAt: Date, scope: string | undefined, payloadJson?: string, headers?: RequestHeaders): NormalizedEvent | SeveralEvents {
  const context = new DeliveryContext(scope, core.cardReference, headers);
  const parts = endpoint.provider.split ? partsOf(endpoint, payload, context, core.logger) : undefined;
  if (parts === undefined) return normalizeIn(context, endpoint, core, payload, rawBody, receivedAt, payloadJson);
  if (parts.length === 1) return normalizeIn(context, endpoint, core, parts[0], rawBody, receivedAt, parts[0] === payload ? payloadJson : undefined);
  return { several: parts.map((part) => normalizeIn(context, endpoint, core, part, rawBody, receivedAt)) };
}

/** The outcome of a delivery of several events: the first one's id, a duplicate when every one was, and each one's. */
export function severalOutcome(events: readonly EventOutcome[]): { eventId: string; duplicate: boolean; events: readonly EventOutcome[] } {
  return { eventId: events[0]!.eventId, duplicate: events.every((e) => e.duplicate), events };
}
