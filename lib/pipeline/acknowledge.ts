import type { DeliveryOutcome } from '../providers/provider';
import type { Endpoint } from './endpoint';
import { HEALTHY_BODY } from './health-check';

const HEALTHY: DeliveryResponse = {
  status: 200, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: HEALTHY_BODY,
};

/** Seconds a sender should wait before retrying a retryable failure. */
export const RETRY_AFTER_SECONDS = 5;

/** A response, ready for any transport to write. */
export interface DeliveryResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The headers of every answer, prepared once (and frozen: they are shared). */
const HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
const RETRY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...HEADERS, 'retry-after': String(RETRY_AFTER_SECONDS) });

/** Step 11: the answer in the provider's format; retryable failures say when to retry. */
export function acknowledge(endpoint: Endpoint, outcome: DeliveryOutcome): DeliveryResponse {
  if (outcome.ok && outcome.healthCheck) return HEALTHY;
  const ack = endpoint.acknowledge(outcome);
  const retryable = !outcome.ok && outcome.error.retryable;
  return { status: ack.status, headers: retryable ? RETRY_HEADERS : HEADERS, body: JSON.stringify(ack.body) };
}
