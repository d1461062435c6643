import type { DeliveryOutcome } from '../providers/provider';
import type { DeliveryOutcomeLabel } from '../telemetry/telemetry';

export { OUTCOME_HEADER } from '../shared/outcome-header';

/** What a delivery's answer was, as the answer's header, the metrics and the span say it. */
export function outcomeLabel(outcome: DeliveryOutcome): DeliveryOutcomeLabel {
  if (!outcome.ok) return outcome.error.retryable ? 'retry_later' : 'refused';
  if (outcome.healthCheck) return 'health_check';
  if (outcome.quarantined) return 'quarantined';
  return outcome.duplicate ? 'duplicate' : 'accepted';
}
