import { ReportedError } from '../errors';
import type { WebhookError } from '../errors';
import { recordUnreadable } from '../ledger/record';
import { logger } from '../log';
import { contentId } from '../shared/canonical-json';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';

const log = logger('quarantine');

/** Quarantined deliveries have ids of their own, derived from their content: `quarantine:<sha-256>`. */
export const QUARANTINE_PREFIX = 'quarantine:';

/**
 * An authentic delivery the endpoint cannot read (schema or mapping), kept instead of refused: acknowledged,
 * stored under an id derived from its content (redacted as every payload is, the clear one sealed when a key is
 * set), reported to `onError` (`ERR_NTW_QUARANTINED`), and replayable once a schema or mapping override is in place.
 */
export async function quarantine(endpoint: Endpoint, core: DeliveryCore, payload: unknown, error: WebhookError): Promise<{ eventId: string; duplicate: boolean }> {
  const provider = endpoint.provider.name;
  const id = `${QUARANTINE_PREFIX}${contentId(payload).slice('sha256:'.length)}`;
  const reason = `${error.code}: ${(error.issues ?? []).map((i) => `${i.path} ${i.message}`).join('; ')}`.slice(0, 500);
  const admission = await recordUnreadable(core.ledger, { provider, id, payload, redacted: endpoint.redact(payload), receivedAt: core.now(), reason });
  if (admission.admitted) {
    log.warn({ provider, eventId: id, code: error.code, reason }, 'quarantined', core.logger);
    core.reportError(new ReportedError('ERR_NTW_QUARANTINED',
      `an authentic ${provider} delivery could not be read and was quarantined as ${id} (${reason}); fix the schema or mapping, then replay it`),
    { provider, eventId: id });
  }
  return { eventId: id, duplicate: !admission.admitted };
}
