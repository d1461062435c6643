import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { MemoryStorage, createTokenWebhooks } from '../../lib';
import type { Refusal, Storage, TokenEvent } from '../../lib';
import { buildPayload, authHeaders } from '../../lib/testing';
import { BEARER, recordHandlers } from '../helpers/app';
import { CYBERSOURCE_KEYS, cybersourceSignature } from '../helpers/cybersource';
import { fixture } from '../helpers/fixtures';
import { captureDebug } from '../helpers/debug-capture';

const FIRSTOKEN_KEY = 'firstoken-webhook-key-0123456789';
const cybersourceBody = fixture('cybersource', 'network-token-suspended').text;

/** A MemoryStorage that records the name of every method called on it. */
function recordedStorage(): { storage: Storage; calls: string[] } {
  const calls: string[] = [];
  const target = new MemoryStorage();
  const storage = new Proxy(target, {
    get(t, name, receiver) {
      const value: unknown = Reflect.get(t, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(name));
        return (value as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
  return { storage, calls };
}

/** One receiver with everything a delivery touches observed: handlers, storage, spans, metrics, refusals, errors. */
function observed() {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const { storage, calls } = recordedStorage();
  const webhooks = createTokenWebhooks<TokenEvent>({ storage, pruneIntervalMs: false, telemetry: { tracerProvider, meterProvider } });
  const recorder = recordHandlers(webhooks);
  const refusals: Refusal[] = [];
  const errors: unknown[] = [];
  webhooks.onRefused((r) => { refusals.push(r); }).onError((e) => { errors.push(e); });
  return {
    webhooks, recorder, refusals, errors, storageCalls: calls,
    deliverySpans: () => spans.getFinishedSpans().filter((s) => s.name.startsWith('ntw.')),
    async deliveriesCounted(): Promise<number> {
      await reader.forceFlush();
      const metrics = exporter.getMetrics().at(-1)?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
      const points = metrics.find((m) => m.descriptor.name === 'ntw.deliveries')?.dataPoints ?? [];
      return points.reduce((sum, p) => sum + (p.value as number), 0);
    },
    async close() {
      await webhooks.close();
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
    },
  };
}

// Express 4's types differ from 5's; these tests use what both share.
const express4App = () => express4() as unknown as express.Express;
for (const [name, makeApp, parsers] of [['Express 5', express, express], ['Express 4', express4App, express4 as unknown as typeof express]] as const) {
  describe(`ready({ app })'s probes (${name})`, () => {
    const keepBytes = () => parsers.json({ verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => { req.rawBody = buf; } });

    it('a probe is never a delivery: handlers, storage, spans, metrics, refusals and onError untouched, nothing left behind', async () => {
      const o = observed();
      const app = makeApp();
      const seen: string[] = [];
      app.use((req, _res, next) => { seen.push(`${req.method} ${req.url}`); next(); });
      app.use(keepBytes());
      app.use('/webhooks/cybersource', o.webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
      app.use('/webhooks/firstoken', o.webhooks.firstoken({ auth: { signingKeys: FIRSTOKEN_KEY } }));
      app.use('/webhooks/tokenex', o.webhooks.tokenex({ authenticate: () => false }));
      app.use('/webhooks/ni', o.webhooks.ni({ auth: { bearer: BEARER } })); // no raw bytes, no health check: not probed
      await o.webhooks.ready(); // the storage's start-up calls, before the probes
      o.storageCalls.length = 0;
      const resources = process.getActiveResourcesInfo();
      const capture = captureDebug();
      try {
        await o.webhooks.ready({ app });
      } finally {
        capture.restore();
      }
      expect(capture.lines, 'no log line of a delivery').to.deep.equal([]);
      expect(seen, 'the probes went through the app').to.deep.equal([
        'POST /webhooks/cybersource', 'GET /webhooks/cybersource', 'POST /webhooks/firstoken', 'POST /webhooks/tokenex',
      ]);
      expect(process.getActiveResourcesInfo(), 'nothing left behind').to.deep.equal(resources);
      expect(o.storageCalls).to.deep.equal([]);
      expect(o.recorder.calls).to.deep.equal([]);
      expect(o.refusals, 'the tokenex probe would have been refused as a delivery').to.deep.equal([]);
      expect(o.errors).to.deep.equal([]);
      expect(o.deliverySpans()).to.deep.equal([]);
      expect(await o.deliveriesCounted()).to.equal(0);
      // the same app then serves deliveries as usual, counted
      const res = await request(app).post('/webhooks/cybersource')
        .set({ 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(cybersourceBody) }).send(cybersourceBody);
      expect(res.status).to.equal(200);
      expect(o.recorder.count('suspended')).to.equal(1);
      expect(await o.deliveriesCounted()).to.equal(1);
      await o.close();
    });

    it('a request from outside dressed as a probe is an ordinary delivery: refused, or accepted and handled', async () => {
      const o = observed();
      const app = makeApp();
      app.use('/webhooks/cybersource', o.webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
      app.use('/webhooks/tokenex', o.webhooks.tokenex({ auth: { bearer: BEARER } }));
      await o.webhooks.ready({ app });
      const dressed = {
        'content-type': 'application/json', 'user-agent': 'network-token-webhooks mount check',
        'network-token-webhooks.mount-probe': 'true', 'x-mount-probe': '1',
      };
      const unsigned = await request(app).post('/webhooks/cybersource').set(dressed).send('{}');
      expect([unsigned.status, unsigned.body.error.code]).to.deep.equal([401, 'unauthorized']);
      expect(o.refusals.map((r) => r.code)).to.deep.equal(['unauthorized']);
      const body = JSON.stringify(buildPayload('tokenex', 'active'));
      const accepted = await request(app).post('/webhooks/tokenex').set({ ...dressed, ...authHeaders('tokenex', body, { bearer: BEARER }) }).send(body);
      expect(accepted.status).to.equal(200);
      expect(o.recorder.count('active')).to.equal(1);
      expect(o.storageCalls).to.include('admit');
      expect(await o.deliveriesCounted()).to.equal(2);
      await o.close();
    });
  });
}
