import { SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
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

/** A delivery's outcome, and the answer that says it. */
export interface Received {
  readonly outcome: DeliveryOutcome;
  readonly response: DeliveryResponse;
}

/**
 * One delivery as telemetry sees it, whatever the transport: a span around it (its steps' spans are children),
 * then the outcome `run` came to and the answer `answer` made of it counted and timed by provider, outcome and
 * code, logged (one record per delivery), and a refusal handed to `onRefused`. With no OpenTelemetry SDK
 * installed, no span is made at all.
 */
export function observeDelivery(core: DeliveryCore, endpoint: Endpoint, run: () => Promise<DeliveryOutcome>,
  answer: (outcome: DeliveryOutcome) => DeliveryResponse): Promise<Received> {
  const started = performance.now();
  if (!core.telemetry.tracing) return run().then((outcome) => observed(core, endpoint, started, { outcome, response: answer(outcome) }, undefined));
  return core.telemetry.span('ntw.delivery', { 'ntw.provider': endpoint.provider.name },
    (span) => run().then((outcome) => observed(core, endpoint, started, { outcome, response: answer(outcome) }, span)));
}

/** What is said of a delivery once answered: its span's attributes, the metrics, the log record and a refusal. */
function observed(core: DeliveryCore, endpoint: Endpoint, started: number, received: Received, span: Span | undefined): Received {
  const provider = endpoint.provider.name;
  const { outcome, response } = received;
  const label = outcomeLabel(outcome);
  const code = outcome.ok ? label : outcome.error.code;
  const eventId = outcome.ok && outcome.eventId ? outcome.eventId : undefined;
  if (span) {
    span.setAttributes({ 'ntw.outcome': label, 'ntw.code': code, 'http.response.status_code': response.status });
    if (eventId !== undefined && outcome.ok) span.setAttributes({ 'ntw.event.id': eventId, 'ntw.duplicate': outcome.duplicate });
    if (label === 'retry_later') span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  }
  const durationMs = performance.now() - started;
  core.telemetry.delivered(provider, label, code, response.status, durationMs);
  if (log.writes(core.logger)) {
    log[LEVELS[label]]({
      provider, ...(eventId !== undefined ? { eventId } : {}), code, status: response.status,
      durationMs: Math.round(durationMs * 10) / 10, outcome: label,
    }, MESSAGES[label], core.logger);
  }
  if (label === 'refused' && !outcome.ok) {
    core.refused({ provider, status: response.status, code: outcome.error.code, message: outcome.error.message, at: core.now() });
  }
  return received;
}
