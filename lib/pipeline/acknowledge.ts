import type { DeliveryOutcome } from '../providers/provider';
import type { DeliveryOutcomeLabel } from '../telemetry/telemetry';
import type { Endpoint } from './endpoint';
import { HEALTHY_BODY } from './health-check';
import { OUTCOME_HEADER, outcomeLabel } from './outcome';

/** Seconds a sender should wait before retrying a retryable failure. */
export const RETRY_AFTER_SECONDS = 5;

/** A response, ready for any transport to write. */
export interface DeliveryResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A delivery's answer and the outcome it says: one object a delivery, what every transport writes from. */
export type Received = DeliveryResponse & { readonly outcome: DeliveryOutcome };

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';

const retryAfter = (outcome: DeliveryOutcomeLabel): Record<string, string> => (outcome === 'retry_later' ? { 'retry-after': String(RETRY_AFTER_SECONDS) } : {});

/** An answer's headers; no content type for an empty answer. */
const headers = (outcome: DeliveryOutcomeLabel, contentType: string | undefined): Readonly<Record<string, string>> =>
  Object.freeze({ ...(contentType ? { 'content-type': contentType } : {}), 'cache-control': 'no-store', [OUTCOME_HEADER]: outcome, ...retryAfter(outcome) });

/** The headers of every answer by its outcome, prepared once (and frozen: they are shared). */
const HEADERS: Readonly<Record<DeliveryOutcomeLabel, Readonly<Record<string, string>>>> = {
  accepted: headers('accepted', JSON_TYPE),
  duplicate: headers('duplicate', JSON_TYPE),
  quarantined: headers('quarantined', JSON_TYPE),
  health_check: headers('health_check', JSON_TYPE),
  refused: headers('refused', JSON_TYPE),
  retry_later: headers('retry_later', JSON_TYPE),
};

/** Headers of answers in a provider's own content type, prepared on first use: a provider answers in one or two. */
const OTHER_HEADERS = new Map<string, Readonly<Record<string, string>>>();
const OTHER_HEADERS_MAX = 64;

function headersOf(outcome: DeliveryOutcomeLabel, contentType: string | undefined): Readonly<Record<string, string>> {
  if (contentType === JSON_TYPE) return HEADERS[outcome];
  const key = `${outcome}\u0000${contentType ?? ''}`;
  let found = OTHER_HEADERS.get(key);
  if (!found) {
    found = headers(outcome, contentType);
    if (OTHER_HEADERS.size < OTHER_HEADERS_MAX) OTHER_HEADERS.set(key, found);
  }
  return found;
}

/**
 * Step 11: the answer in the provider's format (JSON, or its own text in its own content type), its outcome
 * named in a header; retryable failures say when to retry.
 */
export function acknowledge(endpoint: Endpoint, outcome: DeliveryOutcome): Received {
  if (outcome.ok && outcome.healthCheck) return { status: 200, headers: HEADERS.health_check, body: HEALTHY_BODY, outcome };
  const ack = endpoint.acknowledge(outcome);
  const label = outcomeLabel(outcome);
  if (ack.rawBody === undefined) {
    return { status: ack.status, headers: ack.contentType === undefined ? HEADERS[label] : headersOf(label, ack.contentType), body: JSON.stringify(ack.body), outcome };
  }
  const contentType = ack.contentType ?? (ack.rawBody === '' ? undefined : TEXT_TYPE);
  return { status: ack.status, headers: headersOf(label, contentType), body: ack.rawBody, outcome };
}
