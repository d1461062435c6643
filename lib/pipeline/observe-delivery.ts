import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { Received } from './acknowledge';
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

/**
 * What is said of a delivery once answered, whatever the transport: its span's attributes (when tracing), the metrics
 * by provider, outcome and code, its time since `started`, one log record, and a refusal handed to `onRefused`.
 */
export function observed(core: DeliveryCore, endpoint: Endpoint, started: number, received: Received, span: Span | undefined): Received {
  const provider = endpoint.provider.name;
  const { outcome } = received;
  const label = outcomeLabel(outcome);
  const code = outcome.ok ? label : outcome.error.code;
  const eventId = outcome.ok && outcome.eventId ? outcome.eventId : undefined;
  if (span) {
    span.setAttributes({ 'ntw.outcome': label, 'ntw.code': code, 'http.response.status_code': received.status });
    if (eventId !== undefined && outcome.ok) span.setAttributes({ 'ntw.event.id': eventId, 'ntw.duplicate': outcome.duplicate });
    if (label === 'retry_later') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  const durationMs = performance.now() - started;
  core.telemetry.delivered(provider, label, code, received.status, durationMs);
  if (log.writes(core.logger)) {
    log[LEVELS[label]]({
      provider, ...(eventId !== undefined ? { eventId } : {}), code, status: received.status,
      durationMs: Math.round(durationMs * 10) / 10, outcome: label,
    }, MESSAGES[label], core.logger);
  }
  if (label === 'refused' && !outcome.ok) {
    core.refused({ provider, status: received.status, code: outcome.error.code, message: outcome.error.message, at: core.now() });
  }
  return received;
}
