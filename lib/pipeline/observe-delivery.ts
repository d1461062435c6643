import { SpanStatusCode } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { DeliveryOutcome } from '../providers/provider';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { DeliveryResponse } from './acknowledge';
import { outcomeLabel } from './outcome';
import type { DeliveryOutcomeLabel } from '../telemetry/telemetry';
import type { LogLevel } from '../log';
import { logger } from '../log';

const log = logger('receive');

/** How loud each answer is logged: a refusal or a retry-later wants a look, an accepted delivery is routine. */
const LEVELS: Readonly<Record<DeliveryOutcomeLabel, LogLevel>> = {
  accepted: 'info', duplicate: 'info', health_check: 'debug', quarantined: 'warn', refused: 'warn', retry_later: 'warn',
};
const MESSAGES: Readonly<Record<DeliveryOutcomeLabel, string>> = {
  accepted: 'delivery accepted', duplicate: 'delivery accepted (a duplicate)', health_check: 'health check answered',
  quarantined: 'delivery quarantined', refused: 'delivery refused', retry_later: 'delivery answered retry-later',
};

function labelOf(outcome: DeliveryOutcome): { outcome: DeliveryOutcomeLabel; code: string } {
  const label = outcomeLabel(outcome);
  return { outcome: label, code: outcome.ok ? label : outcome.error.code };
}

/** A delivery's outcome, and the answer that says it. */
export interface Received {
  readonly outcome: DeliveryOutcome;
  readonly response: DeliveryResponse;
}

/**
 * One delivery as telemetry sees it, whatever the transport: a span around it (its steps' spans are children),
 * then the answer `run` made counted and timed by provider, outcome and code, logged (one record per delivery), and a
 * refusal handed to `onRefused`.
 */
export function observeDelivery(core: DeliveryCore, endpoint: Endpoint, run: () => Promise<Received>): Promise<Received> {
  const provider = endpoint.provider.name;
  const started = performance.now();
  return core.telemetry.span('ntw.delivery', { 'ntw.provider': provider }, async (span) => {
    const received = await run();
    const { outcome, response } = received;
    const label = labelOf(outcome);
    span.setAttributes({ 'ntw.outcome': label.outcome, 'ntw.code': label.code, 'http.response.status_code': response.status });
    if (outcome.ok && outcome.eventId) span.setAttributes({ 'ntw.event.id': outcome.eventId, 'ntw.duplicate': outcome.duplicate });
    if (label.outcome === 'retry_later') span.setStatus({ code: SpanStatusCode.ERROR, message: label.code });
    const durationMs = performance.now() - started;
    core.telemetry.delivered(provider, label.outcome, label.code, response.status, durationMs);
    log[LEVELS[label.outcome]]({
      provider, ...(outcome.ok && outcome.eventId ? { eventId: outcome.eventId } : {}), code: label.code, status: response.status,
      durationMs: Math.round(durationMs * 10) / 10, outcome: label.outcome,
    }, MESSAGES[label.outcome], core.logger);
    if (label.outcome === 'refused' && !outcome.ok) {
      core.refused({ provider, status: response.status, code: outcome.error.code, message: outcome.error.message, at: core.now() });
    }
    return received;
  });
}
