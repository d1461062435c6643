/**
 * Throughput and latency of the middleware, per provider, over loopback HTTP with keep-alive.
 * Prints figures; asserts nothing. `npm run bench` (BENCH_REQUESTS, BENCH_CONCURRENCY to change the load).
 */
import express from 'express';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { createTokenWebhooks } from '../lib';

const TOTAL = Number(process.env.BENCH_REQUESTS ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const KEY = Buffer.alloc(32, 7).toString('base64');
const BEARER = 'bench-bearer-secret-0123456789';

const fixture = (provider: string, name: string) => JSON.parse(readFileSync(join(__dirname, '..', 'test', 'providers', provider, 'fixtures', `${name}.json`), 'utf8'));

/** A body for delivery `i`: the seed example with a unique event id, so every delivery is processed. */
const BODIES: Record<string, (i: number) => string> = {
  cybersource: (i) => { const p = fixture('cybersource', 'network-token-suspended'); p.payload.data.id = `bench-${i}`; return JSON.stringify(p); },
  tokenex: (i) => { const p = fixture('tokenex', 'request'); p.networkTokenStateChangeNotification.messageId = `bench-${i}`; return JSON.stringify(p); },
  ni: (i) => { const p = fixture('ni', 'sample-request-for-td'); p.id = `bench-${i}`; return JSON.stringify(p); },
  firstoken: (i) => { const p = fixture('firstoken', 'active'); p.event_id = `bench-${i}`; return JSON.stringify(p); },
};

function headersFor(provider: string, body: string): Record<string, string> {
  if (provider !== 'cybersource') return { authorization: `Bearer ${BEARER}` };
  const t = String(Date.now());
  const sig = createHmac('sha256', Buffer.from(KEY, 'base64')).update(`${t}.${body}`).digest('base64');
  return { 'v-c-signature': `t=${t};keyId=bench;sig=${sig}` };
}

function post(port: number, agent: Agent, path: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function run(provider: string, duplicate: boolean): Promise<void> {
  const webhooks = createTokenWebhooks({ pruneIntervalMs: false, cacheMax: TOTAL * 2 });
  webhooks.onEvent(() => undefined);
  const app = express();
  app.use('/webhooks/cybersource', webhooks.cybersource({ keys: { bench: KEY } }));
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  app.use('/webhooks/ni', webhooks.ni({ auth: { bearer: BEARER } }));
  app.use('/webhooks/firstoken', webhooks.firstoken({ auth: { bearer: BEARER } }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const bodies = Array.from({ length: TOTAL }, (_, i) => BODIES[provider]!(duplicate ? 0 : i));
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TOTAL) {
      const body = bodies[next++]!;
      const t0 = process.hrtime.bigint();
      const status = await post(port, agent, `/webhooks/${provider}`, body, headersFor(provider, body));
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  console.log([
    provider.padEnd(12), (duplicate ? 'duplicates' : 'new events').padEnd(11),
    `${Math.round(TOTAL / seconds)} req/s`.padStart(12),
    `p50 ${percentile(latencies, 50).toFixed(2)} ms`.padStart(14),
    `p99 ${percentile(latencies, 99).toFixed(2)} ms`.padStart(14),
    `statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  ].join('  '));
  agent.destroy();
  server.close();
  await webhooks.close();
}

async function main(): Promise<void> {
  console.log(`network-token-webhooks bench: ${TOTAL} deliveries per row, ${CONCURRENCY} concurrent, memory storage, loopback HTTP, Node ${process.version}`);
  for (const provider of Object.keys(BODIES)) {
    await run(provider, false);
    await run(provider, true);
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
