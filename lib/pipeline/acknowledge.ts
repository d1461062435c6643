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

const headers = (outcome: DeliveryOutcomeLabel, more: Record<string, string> = {}): Readonly<Record<string, string>> =>
  Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', [OUTCOME_HEADER]: outcome, ...more });

/** The headers of every answer by its outcome, prepared once (and frozen: they are shared). */
const HEADERS: Readonly<Record<DeliveryOutcomeLabel, Readonly<Record<string, string>>>> = {
  accepted: headers('accepted'),
  duplicate: headers('duplicate'),
  quarantined: headers('quarantined'),
  health_check: headers('health_check'),
  refused: headers('refused'),
  retry_later: headers('retry_later', { 'retry-after': String(RETRY_AFTER_SECONDS) }),
};

const HEALTHY: DeliveryResponse = { status: 200, headers: HEADERS.health_check, body: HEALTHY_BODY };

/** Step 11: the answer in the provider's format, its outcome named in a header; retryable failures say when to retry. */
export function acknowledge(endpoint: Endpoint, outcome: DeliveryOutcome): DeliveryResponse {
  if (outcome.ok && outcome.healthCheck) return HEALTHY;
  const ack = endpoint.acknowledge(outcome);
  return { status: ack.status, headers: HEADERS[outcomeLabel(outcome)], body: JSON.stringify(ack.body) };
}
