import { ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, context, createNoopMeter, metrics, trace } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter, MeterProvider, Span, Tracer, TracerProvider } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { PACKAGE_VERSION } from './version';

/**
 * Where spans and metrics go. Default: the global providers of `@opentelemetry/api`, which are no-ops until
 * the host app installs an OpenTelemetry SDK. `false`: nothing is recorded at all.
 */
export interface TelemetryOptions {
  readonly tracerProvider?: TracerProvider;
  readonly meterProvider?: MeterProvider;
}

/** Counts a collection reads from the storage: the inbox's depth, dead letters, tokens by state. */
export interface ObservedCounts {
  /** Entries not `done`, by provider and status (`pending`, `failed`, `dead`, `quarantined`, `running`). */
  readonly open: ReadonlyArray<{ readonly provider: string; readonly status: string; readonly count: number }>;
  readonly tokens: ReadonlyArray<{ readonly provider: string; readonly state: string; readonly count: number }>;
}

export const SCOPE = 'network-token-webhooks';

/** What the handlers' span and the `ntw.events` metric say of an event: its kind, never its content. */
export interface HandledEvent {
  readonly provider: string;
  readonly type: string;
  readonly state?: string;
  readonly projection?: string;
}

/** What a delivery's answer was, as the metrics and the span say it. */
export type DeliveryOutcomeLabel = 'accepted' | 'duplicate' | 'quarantined' | 'health_check' | 'refused' | 'retry_later';

interface Instruments {
  readonly deliveries: Counter;
  readonly deliveryDuration: Histogram;
  readonly handlerDuration: Histogram;
  readonly events: Counter;
  readonly storageDuration: Histogram;
  readonly leaseLost: Counter;
  readonly replayed: Counter;
}

const seconds = (ms: number) => ms / 1000;

/** What the API's global tracer provider delegates to until an SDK is registered. */
const NO_SDK_TRACING = new ProxyTracerProvider().getDelegate();
/** What every no-op meter provider hands out. */
const NOOP_METER = createNoopMeter();

/**
 * The package's spans and metrics, through `@opentelemetry/api` only. Attributes name providers, event ids,
 * event types, outcome codes and storage operations: never a payload value, a token reference or personal data.
 */
export class Telemetry {
  private readonly enabled: boolean;
  private readonly options: TelemetryOptions;
  private tracerCache: { provider: TracerProvider; tracer: Tracer } | undefined;
  private instrumentsCache: { provider: MeterProvider; instruments: Instruments; recording: boolean } | undefined;

  constructor(options: TelemetryOptions | false | undefined, private readonly observe?: () => Promise<ObservedCounts | undefined>) {
    this.enabled = options !== false;
    this.options = options || {};
  }

  // A host may install its SDK after creating the receiver: the global providers are read at each use, and
  // instruments made again for a new one (a meter of the no-op provider never becomes a real one).
  private get tracer(): Tracer {
    const provider = this.options.tracerProvider ?? trace.getTracerProvider();
    if (this.tracerCache?.provider !== provider) this.tracerCache = { provider, tracer: provider.getTracer(SCOPE, PACKAGE_VERSION) };
    return this.tracerCache.tracer;
  }

  /**
   * Whether spans would be dropped unseen: the API's global provider with no SDK behind it (checked at each use,
   * since registering an SDK only gives that same provider a delegate). Then no span is made at all: a delivery
   * pays nothing for tracing until an SDK is installed.
   */
  get tracing(): boolean {
    if (!this.enabled) return false;
    const provider = this.options.tracerProvider ?? trace.getTracerProvider();
    return !(provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_SDK_TRACING);
  }

  /** The instruments of the current meter provider (made again for a new one), and whether that provider records. */
  private get meter(): { readonly instruments: Instruments; readonly recording: boolean } {
    const provider = this.options.meterProvider ?? metrics.getMeterProvider();
    if (this.instrumentsCache?.provider !== provider) {
      const meter = provider.getMeter(SCOPE, PACKAGE_VERSION);
      this.instrumentsCache = { provider, instruments: this.makeInstruments(meter), recording: meter !== NOOP_METER };
    }
    return this.instrumentsCache;
  }

  private get instruments(): Instruments {
    return this.meter.instruments;
  }

  /** Whether metrics are recorded: not with the API's no-op meter (no SDK installed), whose instruments drop everything. */
  get measuring(): boolean {
    return this.enabled && this.meter.recording;
  }

  /**
   * Whether anything is recorded: spans or metrics. When not, a caller skips the work of observing (the span's
   * closures, the attributes, the timings) and runs the thing itself: a delivery pays next to nothing for telemetry
   * until an SDK is installed.
   */
  get observing(): boolean {
    return this.tracing || this.measuring;
  }

  private makeInstruments(meter: Meter): Instruments {
    if (this.observe) {
      const inbox = meter.createObservableGauge('ntw.entries.open', {
        description: 'Entries of the ledger not done, by status: pending (the inbox\'s depth), failed, dead (dead letters), quarantined, running',
        unit: '{entry}',
      });
      const tokens = meter.createObservableGauge('ntw.tokens', { description: 'Tokens by provider and current state', unit: '{token}' });
      // A series seen once is reported 0 when it empties (a drained inbox), not left at its last value.
      const openSeen = new Set<string>();
      const tokensSeen = new Set<string>();
      meter.addBatchObservableCallback(async (result) => {
        const counts = await this.observe!().catch(() => undefined);
        if (!counts) return;
        report(openSeen, counts.open.map(({ provider: p, status, count }) => [p, status, count]),
          (p, status, count) => result.observe(inbox, count, { 'ntw.provider': p, 'ntw.entry.status': status }));
        report(tokensSeen, counts.tokens.map(({ provider: p, state, count }) => [p, state, count]),
          (p, state, count) => result.observe(tokens, count, { 'ntw.provider': p, 'ntw.token.state': state }));
      }, [inbox, tokens]);
    }
    return {
      deliveries: meter.createCounter('ntw.deliveries', {
        description: 'Deliveries answered, by provider, outcome and code (refusals included: 401, 400, 413, 415, …)', unit: '{delivery}',
      }),
      deliveryDuration: meter.createHistogram('ntw.delivery.duration', { description: 'Time from the request to the answer', unit: 's' }),
      handlerDuration: meter.createHistogram('ntw.handler.duration', { description: 'Time the handlers of one event took, together', unit: 's' }),
      events: meter.createCounter('ntw.events', {
        description: 'Events whose handlers completed, by provider, type, the token state they carry and what they did to it (changed, repeated, stale)',
        unit: '{event}',
      }),
      storageDuration: meter.createHistogram('ntw.storage.duration', { description: 'Time of one storage call', unit: 's' }),
      leaseLost: meter.createCounter('ntw.lease.lost', {
        description: 'Runs that lost their lease (a renewal refused, or none through before it ran out): another instance may take the event over', unit: '{run}',
      }),
      replayed: meter.createCounter('ntw.replayed', {
        description: 'Events made pending again by a replay, one at a time (replay) or in bulk (replayMany)', unit: '{event}',
      }),
    };
  }

  /** Run `fn` in a span (a child of the active one): its error status and exception are recorded when it throws. */
  span<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, kind: SpanKind = SpanKind.INTERNAL): Promise<T> {
    if (!this.tracing) return fn(NOT_RECORDING);
    return this.tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode(error) });
        span.setAttribute('error.type', errorCode(error));
        throw error;
      } finally {
        span.end();
      }
    });
  }

  /** A delivery answered: counted by provider, outcome and code, timed. */
  delivered(provider: string, outcome: DeliveryOutcomeLabel, code: string, status: number, durationMs: number): void {
    if (!this.measuring) return;
    const attributes = { 'ntw.provider': provider, 'ntw.outcome': outcome, 'ntw.code': code, 'http.response.status_code': status };
    const { deliveries, deliveryDuration } = this.instruments;
    deliveries.add(1, attributes);
    deliveryDuration.record(seconds(durationMs), attributes);
  }

  /** The handlers of one event, in a child span, timed; an event whose handlers completed is counted by the state it left. */
  handlers(event: HandledEvent, run: () => Promise<void>): Promise<void> {
    return this.observing ? this.observedHandlers(event, run) : run();
  }

  private async observedHandlers(event: HandledEvent, run: () => Promise<void>): Promise<void> {
    const attributes: Attributes = {
      'ntw.provider': event.provider, 'ntw.event.type': event.type,
      ...(event.state ? { 'ntw.token.state': event.state } : {}),
      ...(event.projection ? { 'ntw.projection': event.projection } : {}),
    };
    // The delivery's (or the inbox run's) span says whether the event was stale: out of order, or after DELETED.
    if (event.projection) trace.getActiveSpan()?.setAttribute('ntw.stale', event.projection === 'stale');
    await this.timedSpan('ntw.handlers', attributes, run, (duration, ok) => {
      const { handlerDuration, events } = this.instruments;
      handlerDuration.record(duration, { ...attributes, 'ntw.outcome': ok ? 'ok' : 'error' });
      if (ok) events.add(1, attributes);
    });
  }

  /** One storage call, in a child span, timed by operation and outcome. */
  /** Run `work` outside the active span: a call made for several runs at once (a batch of completions) is none's child. */
  detached<T>(work: () => T): T {
    return context.with(ROOT_CONTEXT, work);
  }

  storageCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (!this.observing) return call();
    const attributes = { 'ntw.storage.operation': operation };
    return this.timedSpan(`ntw.storage.${operation}`, attributes, call, (duration, ok) => {
      this.instruments.storageDuration.record(duration, { ...attributes, 'ntw.outcome': ok ? 'ok' : 'error' });
    });
  }

  /** `run` in a span, then `done` with its duration in seconds and whether it succeeded. */
  private async timedSpan<T>(name: string, attributes: Attributes, run: () => Promise<T>, done: (seconds: number, ok: boolean) => void): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await this.span(name, attributes, run);
      ok = true;
      return result;
    } finally {
      done(seconds(performance.now() - started), ok);
    }
  }

  leaseLost(provider: string): void {
    if (this.measuring) this.instruments.leaseLost.add(1, { 'ntw.provider': provider });
  }

  /** Events replayed, by the provider asked for (`*`: any) and how: one at a time or in bulk. */
  replayed(provider: string | undefined, kind: 'one' | 'bulk', count: number): void {
    if (this.measuring && count > 0) this.instruments.replayed.add(count, { 'ntw.provider': provider ?? '*', 'ntw.replay.kind': kind });
  }

  /** Make the observable gauges exist now, so a collection sees them before the first delivery. */
  start(): void {
    if (this.enabled) void this.instruments;
  }
}

/** Observe each `[provider, label, count]`, and 0 for every pair `seen` before that is absent now. */
function report(seen: Set<string>, counts: ReadonlyArray<readonly [string, string, number]>, observe: (provider: string, label: string, count: number) => void): void {
  const now = new Set<string>();
  for (const [provider, label, count] of counts) {
    const key = `${provider}\u0000${label}`;
    now.add(key);
    seen.add(key);
    observe(provider, label, count);
  }
  for (const key of seen) {
    if (now.has(key)) continue;
    const [provider, label] = key.split('\u0000') as [string, string];
    observe(provider, label, 0);
  }
}

/** The code of an error for a span's status: ours (`storage_unavailable`, `ERR_NTW_…`), else its class name. Never its message. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  return error instanceof Error ? error.name : typeof error;
}

const NOT_RECORDING: Span = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });
