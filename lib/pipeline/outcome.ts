import type { DeliveryOutcome } from '../providers/provider';
import type { DeliveryOutcomeLabel } from '../telemetry/telemetry';

/**
 * The response header that names a delivery's outcome (`accepted`, `duplicate`, …), in every provider's answer:
 * a sender's tests read it where the provider's own format cannot say (NI's answer has no duplicate flag).
 */
export const OUTCOME_HEADER = 'ntw-outcome';

/** What a delivery's answer was, as the answer's header, the metrics and the span say it. */
export function outcomeLabel(outcome: DeliveryOutcome): DeliveryOutcomeLabel {
  if (!outcome.ok) return outcome.error.retryable ? 'retry_later' : 'refused';
  if (outcome.healthCheck) return 'health_check';
  if (outcome.quarantined) return 'quarantined';
  return outcome.duplicate ? 'duplicate' : 'accepted';
}
