import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { MemoryStorage } from '../../lib';
import type { Refusal, Storage, TokenWebhooksOptions } from '../../lib';
import { buildPayload } from '../../lib/testing';
import { PACKAGE_VERSION } from '../../lib/telemetry/version';
import { deliver, testReceiver } from '../helpers/app';

/** Spans and metrics of one receiver, read from the OpenTelemetry SDK's in-memory exporters. */
function telemetry() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    options: { tracerProvider, meterProvider } satisfies TokenWebhooksOptions['telemetry'],
    spans: () => spans.getFinishedSpans(),
    span(name: string): ReadableSpan {
      const found = spans.getFinishedSpans().filter((s) => s.name === name);
      expect(found, `one span ${name}`).to.have.length.greaterThan(0);
      return found.at(-1)!;
    },
    async metric(name: string): Promise<MetricData | undefined> {
      await reader.forceFlush();
      const all = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
      return all.find((m) => m.descriptor.name === name);
    },
    async points(name: string): Promise<DataPoint<unknown>[]> {
      return (await this.metric(name))?.dataPoints ?? [];
    },
    async close() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

type Telemetry = ReturnType<typeof telemetry>;

const payload = (kind: 'active' | 'suspended', tokenRef: string, occurredAt = new Date()) => JSON.stringify(buildPayload('tokenex', kind, { tokenRef, occurredAt }));

const childrenOf = (all: readonly ReadableSpan[], parent: ReadableSpan) => all.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);

const valueOf = (points: DataPoint<unknown>[], attributes: Record<string, unknown>) =>
  points.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).map((p) => p.value);

describe('telemetry (OpenTelemetry)', () => {
  const manager = new AsyncHooksContextManager();
  before(() => { context.setGlobalContextManager(manager.enable()); });
  after(() => { manager.disable(); context.disable(); });

  let t: Telemetry;
  beforeEach(() => { t = telemetry(); });
  afterEach(() => t.close());

  it('a delivery is a span with its storage calls and its handlers as children, counted and timed by provider and outcome', async () => {
    const { app } = testReceiver({ telemetry: t.options });
    const res = await deliver(app, 'tokenex', payload('active', 'tok-telemetry-1'));
    expect(res.status).to.equal(200);

    const delivery = t.span('ntw.delivery');
    expect(delivery.attributes).to.include({ 'ntw.provider': 'tokenex', 'ntw.outcome': 'accepted', 'ntw.code': 'accepted', 'http.response.status_code': 200, 'ntw.duplicate': false, 'ntw.stale': false });
    expect(delivery.attributes['ntw.event.id']).to.be.a('string');
    const children = childrenOf(t.spans(), delivery).map((s) => s.name);
    expect(children).to.include.members(['ntw.storage.admit', 'ntw.handlers', 'ntw.storage.settle']);
    expect(t.span('ntw.handlers').attributes).to.include({ 'ntw.event.type': 'token.active', 'ntw.token.state': 'ACTIVE', 'ntw.projection': 'changed' });

    expect(valueOf(await t.points('ntw.deliveries'), { 'ntw.provider': 'tokenex', 'ntw.outcome': 'accepted' })).to.deep.equal([1]);
    const durations = valueOf(await t.points('ntw.delivery.duration'), { 'ntw.provider': 'tokenex' }) as Histogram[];
    expect(durations[0]?.count).to.equal(1);
    expect(valueOf(await t.points('ntw.events'), { 'ntw.provider': 'tokenex', 'ntw.token.state': 'ACTIVE', 'ntw.projection': 'changed' })).to.deep.equal([1]);
    const storage = (await t.points('ntw.storage.duration')).map((p) => p.attributes['ntw.storage.operation']);
    expect(storage).to.include.members(['admit', 'settle']);
  });

  it('no attribute carries the token reference', async () => {
    const tokenRef = 'tok-private-ref';
    const { app } = testReceiver({ telemetry: t.options });
    await deliver(app, 'tokenex', payload('active', tokenRef)).expect(200);
    const values = t.spans().flatMap((s) => Object.values(s.attributes)).map(String);
    for (const value of values) expect(value).not.to.include('tok-private');
  });

  it('a duplicate and a stale event say so on their spans', async () => {
    const { app } = testReceiver({ telemetry: t.options });
    const body = payload('active', 'tok-telemetry-2');
    await deliver(app, 'tokenex', body).expect(200);
    await deliver(app, 'tokenex', body).expect(200);
    expect(t.span('ntw.delivery').attributes).to.include({ 'ntw.outcome': 'duplicate', 'ntw.duplicate': true });

    await deliver(app, 'tokenex', payload('suspended', 'tok-telemetry-2', new Date(Date.now() - 60_000))).expect(200);
    expect(t.span('ntw.delivery').attributes).to.include({ 'ntw.outcome': 'accepted', 'ntw.stale': true });
    expect(valueOf(await t.points('ntw.events'), { 'ntw.projection': 'stale' })).to.deep.equal([1]);
    expect(valueOf(await t.points('ntw.deliveries'), { 'ntw.outcome': 'duplicate' })).to.deep.equal([1]);
  });

  it('refusals are counted by provider and code and reach onRefused, without the request content', async () => {
    const { app, webhooks } = testReceiver({ telemetry: t.options });
    const refusals: Refusal[] = [];
    webhooks.onRefused((refusal) => { refusals.push(refusal); });
    webhooks.onRefused(() => { throw new Error('a hook that throws changes nothing'); });
    const body = payload('active', 'tok-telemetry-3');
    await deliver(app, 'tokenex', body, { authorization: 'Bearer wrong-secret-0123456789' }).expect(401);
    await deliver(app, 'tokenex', body, { 'content-type': 'text/plain' }).expect(415);
    await deliver(app, 'tokenex', '{"not":"tokenex"}').expect(400);

    expect(refusals.map((r) => [r.provider, r.status, r.code])).to.deep.equal([
      ['tokenex', 401, 'unauthorized'], ['tokenex', 415, 'unsupported_media_type'], ['tokenex', 400, 'schema_violation'],
    ]);
    expect(JSON.stringify(refusals)).not.to.include('tok-telemetry-3');
    const refused = await t.points('ntw.deliveries');
    for (const code of ['unauthorized', 'unsupported_media_type', 'schema_violation']) {
      expect(valueOf(refused, { 'ntw.provider': 'tokenex', 'ntw.outcome': 'refused', 'ntw.code': code }), code).to.deep.equal([1]);
    }
    expect(t.span('ntw.delivery').status.code, 'a refusal is the sender\'s fault, not an error of ours').to.equal(0);
  });

  it('a failing handler: an error on the handlers span, the delivery answered retry-later and counted so', async () => {
    const { app, webhooks } = testReceiver({ telemetry: t.options });
    webhooks.onActive(() => { throw new Error('the card vault is down'); });
    webhooks.onError(() => undefined);
    await deliver(app, 'tokenex', payload('active', 'tok-telemetry-4')).expect(500);

    const handlers = t.span('ntw.handlers');
    expect(handlers.status.code).to.equal(2);
    expect(handlers.attributes['error.type']).to.equal('Error');
    expect(JSON.stringify(handlers.attributes)).not.to.include('card vault');
    const delivery = t.span('ntw.delivery');
    expect(delivery.attributes).to.include({ 'ntw.outcome': 'retry_later', 'ntw.code': 'handler_failed', 'http.response.status_code': 500 });
    expect(delivery.status.code).to.equal(2);
    const handled = valueOf(await t.points('ntw.handler.duration'), { 'ntw.outcome': 'error' }) as Histogram[];
    expect(handled[0]?.count).to.equal(1);
    expect(await t.points('ntw.events')).to.deep.equal([]);
  });

  it('a storage outage: the storage span fails with the storage error code, the delivery is storage_unavailable', async () => {
    const memory = new MemoryStorage();
    const down: Storage = Object.assign(Object.create(memory) as Storage, {
      admit: () => { throw new Error('connection refused'); },
    });
    const { app, webhooks } = testReceiver({ telemetry: t.options, storage: down });
    webhooks.onError(() => undefined);
    await deliver(app, 'tokenex', payload('active', 'tok-telemetry-5')).expect(503);

    const admit = t.span('ntw.storage.admit');
    expect(admit.status.code).to.equal(2);
    expect(admit.attributes['error.type']).to.equal('ERR_NTW_STORAGE_UNAVAILABLE');
    expect(t.span('ntw.delivery').attributes).to.include({ 'ntw.outcome': 'retry_later', 'ntw.code': 'storage_unavailable' });
    expect(valueOf(await t.points('ntw.storage.duration'), { 'ntw.storage.operation': 'admit', 'ntw.outcome': 'error' })).to.have.length(1);
  });

  it('inbox mode: each run of the worker is a span, with the handlers as its child', async () => {
    const { app, webhooks } = testReceiver({ telemetry: t.options, mode: 'inbox', inbox: { pollIntervalMs: false } });
    await deliver(app, 'tokenex', payload('active', 'tok-telemetry-6')).expect(200);
    expect(await webhooks.processInbox()).to.equal(1);
    const run = t.span('ntw.inbox.run');
    expect(run.attributes).to.include({ 'ntw.provider': 'tokenex', 'ntw.event.type': 'token.active', 'ntw.attempt': 1, 'ntw.stale': false });
    expect(childrenOf(t.spans(), run).map((s) => s.name)).to.include.members(['ntw.handlers']);
    // Completions are stored in batches, for several runs at once: that call's span is no run's child.
    expect(t.span('ntw.storage.settleMany').parentSpanContext).to.equal(undefined);
  });

  it('gauges read from the storage: open entries by status (the inbox depth, dead letters) and tokens by state', async () => {
    const { app, webhooks } = testReceiver({ telemetry: t.options, mode: 'inbox', inbox: { pollIntervalMs: false, maxAttempts: 1 } });
    webhooks.onSuspended(() => { throw new Error('refused by the card vault'); });
    webhooks.onError(() => undefined);
    await deliver(app, 'tokenex', payload('active', 'tok-gauge-1')).expect(200);
    await deliver(app, 'tokenex', payload('active', 'tok-gauge-2')).expect(200);
    expect(valueOf(await t.points('ntw.entries.open'), { 'ntw.provider': 'tokenex', 'ntw.entry.status': 'pending' })).to.deep.equal([2]);
    await webhooks.processInbox();
    await deliver(app, 'tokenex', payload('suspended', 'tok-gauge-2')).expect(200);
    await webhooks.processInbox();

    const open = await t.points('ntw.entries.open');
    expect(valueOf(open, { 'ntw.entry.status': 'dead' })).to.deep.equal([1]);
    expect(valueOf(open, { 'ntw.entry.status': 'pending' }), 'a drained inbox reads 0').to.deep.equal([0]);
    const tokens = await t.points('ntw.tokens');
    expect(valueOf(tokens, { 'ntw.provider': 'tokenex', 'ntw.token.state': 'ACTIVE' })).to.deep.equal([1]);
    // The state is applied when the event is taken to run, whatever its handlers do (docs/events.md, "Token state").
    expect(valueOf(tokens, { 'ntw.provider': 'tokenex', 'ntw.token.state': 'SUSPENDED' })).to.deep.equal([1]);
  });

  it('by default spans and metrics go to the global providers; telemetry: false records nothing', async () => {
    trace.setGlobalTracerProvider(t.options.tracerProvider);
    metrics.setGlobalMeterProvider(t.options.meterProvider);
    try {
      await deliver(testReceiver().app, 'tokenex', payload('active', 'tok-telemetry-7')).expect(200);
      expect(t.spans().map((s) => s.name)).to.include('ntw.delivery');
      expect(valueOf(await t.points('ntw.deliveries'), { 'ntw.outcome': 'accepted' })).to.deep.equal([1]);

      await deliver(testReceiver({ telemetry: false }).app, 'tokenex', payload('active', 'tok-telemetry-8')).expect(200);
      expect(t.spans().filter((s) => s.name === 'ntw.delivery')).to.have.length(1);
      expect(valueOf(await t.points('ntw.deliveries'), { 'ntw.outcome': 'accepted' })).to.deep.equal([1]);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('picks up an SDK registered after the receiver handled deliveries without one', async () => {
    const { app } = testReceiver();
    await deliver(app, 'tokenex', payload('active', 'tok-telemetry-9')).expect(200);
    trace.setGlobalTracerProvider(t.options.tracerProvider);
    metrics.setGlobalMeterProvider(t.options.meterProvider);
    try {
      await deliver(app, 'tokenex', payload('suspended', 'tok-telemetry-9')).expect(200);
      expect(t.spans().map((s) => s.name)).to.include.members(['ntw.delivery', 'ntw.storage.admit', 'ntw.handlers', 'ntw.storage.settle']);
      expect(valueOf(await t.points('ntw.deliveries'), { 'ntw.outcome': 'accepted' })).to.deep.equal([1]);
    } finally {
      trace.disable();
      metrics.disable();
    }
  });

  it('a bulk replay is a span with its storage calls as children, and what it replayed is counted, as single replays are', async () => {
    const { app, webhooks } = testReceiver({ telemetry: t.options, mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
    let failing = true;
    webhooks.onEvent(() => { if (failing) throw new Error('downstream 503'); });
    for (const tokenRef of ['tok-replay-1', 'tok-replay-2', 'tok-replay-3']) await deliver(app, 'tokenex', payload('active', tokenRef)).expect(200);
    await webhooks.processInbox();
    failing = false;
    const [one] = await webhooks.listEvents({ status: 'dead', limit: 1 });
    expect(await webhooks.replay(one!.id, 'tokenex')).to.equal(1);
    expect(await webhooks.replayMany({ status: 'dead', provider: 'tokenex' })).to.deep.equal({ replayed: 2 });
    const bulk = t.span('ntw.replay_many');
    expect(bulk.attributes).to.include({ 'ntw.provider': 'tokenex', 'ntw.entry.status': 'dead', 'ntw.replayed': 2 });
    expect(childrenOf(t.spans(), bulk).map((s) => s.name)).to.include.members(['ntw.storage.listEntries', 'ntw.storage.getEntry', 'ntw.storage.requeue']);
    const replayed = await t.points('ntw.replayed');
    expect(valueOf(replayed, { 'ntw.replay.kind': 'bulk', 'ntw.provider': 'tokenex' })).to.deep.equal([2]);
    expect(valueOf(replayed, { 'ntw.replay.kind': 'one', 'ntw.provider': 'tokenex' })).to.deep.equal([1]);
    await webhooks.close();
  });

  it('a misspelled telemetry option fails at start-up', () => {
    expect(() => testReceiver({ telemetry: { tracerProvide: t.options.tracerProvider } as never })).to.throw(/tracerProvide/).with.property('code', 'ERR_NTW_UNKNOWN_OPTION');
  });

  it('the instrumentation scope carries the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(PACKAGE_VERSION).to.equal(pkg.version);
  });
});
