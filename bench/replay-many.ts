/**
 * `npx tsx bench/replay-many.ts`: how long a bulk replay takes, and what it costs a delivery to log to a logger.
 *
 * Bulk replay, on each store: DEAD dead letters (and ten times as many done events around them), then the console's
 * count page (GET /bulk-replay, its median of 5), `replayMany({ status: 'dead' })` (its 1,000), the second call
 * right after (0), and the worker running what was replayed (`processInbox()`, a handler that returns at once).
 *
 * Logging: deliveries through `webhooks.receiver()` (no HTTP) one after another, without a logger and with a pino
 * logger writing to /dev/null, in alternating rounds; the median round's time per delivery of each.
 *
 *   BENCH_REPLAY_DEAD=1000    BENCH_REPLAY_STORES=memory,sqlite,postgres,redis    BENCH_LOG_DELIVERIES=2000
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import express from 'express';
import pino from 'pino';
import type { EntryRecord, InboxTokenWebhooks, Logger, Storage, TokenEvent } from '../lib';
import { buildLibrary, library } from './library';
import { describeMachine, machine } from './report';
import { freshStore, unreachable } from './services';
import type { StoreKind } from './services';
import { storageFrom } from './servers/storage';

// The build users install, as the other benchmarks run it (bench/library.ts); built once, by the parent process.
if (!process.env.BENCH_LIB_BUILT) buildLibrary();
const { MemoryStorage, createTokenWebhooks } = library<typeof import('../lib')>('index');
const { buildPayload } = library<typeof import('../lib/testing')>('testing/index');

const DEAD = Math.round(Number(process.env.BENCH_REPLAY_DEAD ?? 1000));
const KINDS = (process.env.BENCH_REPLAY_STORES ?? 'memory,sqlite,postgres,redis').split(',').map((s) => s.trim()).filter(Boolean) as StoreKind[];
const DELIVERIES = Math.round(Number(process.env.BENCH_LOG_DELIVERIES ?? 2000));
const CREDENTIALS = { username: 'bench', password: 'bench-console-password' };
const BEARER = 'bench-bearer-secret-0123456789';

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const record = (i: number, at: number, status: string): EntryRecord => ({
  provider: 'tokenex', id: `bench-${status}-${i}`, type: 'token.active', tokenRef: `TOKBENCH${status.toUpperCase()}${i}`, state: 'ACTIVE',
  occurredAt: new Date(at), receivedAt: new Date(at), fingerprint: 'f', body: '{"bench":true}',
});

/** Dead letters over the last hour among ten times as many done events, through the storage API. */
async function fill(storage: Storage): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < DEAD * 11; i++) {
    const status = i % 11 === 0 ? 'dead' : 'done';
    const r = record(i, now - 3600_000 + Math.floor((i / (DEAD * 11)) * 3600_000), status);
    await storage.admit(r, { as: 'running', owner: 'fill', leaseMs: 60_000 });
    await storage.settle(r, 'fill', status === 'dead' ? { status: 'dead', error: 'handler failed: downstream 503' } : { status: 'done' });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function bulk(kind: StoreKind): Promise<string> {
  const reason = kind === 'postgres' || kind === 'redis' ? await unreachable(kind) : undefined;
  if (reason) return `${kind}: skipped (${reason})`;
  const store = await freshStore(kind);
  const storage = kind === 'memory' ? new MemoryStorage({ maxEntries: Infinity }) : storageFrom(store.env);
  const webhooks = createTokenWebhooks<TokenEvent>({ storage, mode: 'inbox', pruneIntervalMs: false, inbox: { pollIntervalMs: false, concurrency: 8 } }) as InboxTokenWebhooks<TokenEvent>;
  webhooks.onEvent(() => undefined);
  const app = express().use('/ops', webhooks.console({ credentials: CREDENTIALS }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    await webhooks.ready();
    await fill(storage);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/bulk-replay?status=dead`;
    const authorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;
    const page = async () => {
      const res = await fetch(url, { headers: { authorization } });
      const text = await res.text();
      if (!text.includes(`${DEAD.toLocaleString('en-US')} dead letters`) && !text.includes('More than')) throw new Error(`the count page did not count ${DEAD}`);
    };
    await page();
    const pages: number[] = [];
    for (let i = 0; i < 5; i++) pages.push((await timed(page)).ms);
    const first = await timed(() => webhooks.replayMany({ status: 'dead' }));
    const second = await timed(() => webhooks.replayMany({ status: 'dead' }));
    const run = await timed(() => webhooks.processInbox());
    return `${kind.padEnd(8)} count page ${ms(median(pages))} · replayMany ${first.value.replayed} in ${ms(first.ms)} (${(first.ms / Math.max(1, first.value.replayed)).toFixed(2)} ms each)`
      + ` · again ${second.value.replayed} in ${ms(second.ms)} · worker ran ${run.value} in ${ms(run.ms)}`;
  } finally {
    server.close();
    await webhooks.close();
    await store.cleanup();
  }
}

type Variant = 'none' | 'noop' | 'pino';
const VARIANTS: readonly Variant[] = ['none', 'noop', 'pino'];

/** One variant's µs per delivery in its best of 3 rounds, in this process (a logger, once set, enables async context tracking for the whole process). */
async function deliveries(variant: Variant): Promise<number> {
  const nothing = () => undefined;
  const logger: Logger | undefined = variant === 'none' ? undefined
    : variant === 'noop' ? { error: nothing, warn: nothing, info: nothing, debug: nothing }
      : pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const webhooks = createTokenWebhooks({ pruneIntervalMs: false, ...(logger ? { logger } : {}) });
  webhooks.onEvent(() => undefined);
  const receive = webhooks.receiver('tokenex', { auth: { bearer: BEARER } });
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < DELIVERIES; i++) {
      const body = JSON.stringify(buildPayload('tokenex', 'active', { id: `r${round}-${i}`, tokenRef: `TOK-${i % 50}` }));
      const answer = await receive({ headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, rawBody: body });
      if (answer.status !== 200) throw new Error(`answered ${answer.status}`);
    }
    rounds.push(((performance.now() - started) / DELIVERIES) * 1000);
  }
  await webhooks.close();
  return Math.min(...rounds); // the round least disturbed by the rest of the machine
}

/** Each variant in processes of its own, taking turns, five times; the median of each. */
async function logging(): Promise<string> {
  const results: Record<Variant, number[]> = { none: [], noop: [], pino: [] };
  for (let turn = 0; turn < 5; turn++) {
    for (const variant of turn % 2 ? [...VARIANTS].reverse() : VARIANTS) {
      const out = execFileSync(process.execPath, [require.resolve('tsx/cli'), __filename], {
        env: { ...process.env, BENCH_LOG_VARIANT: variant, BENCH_LIB_BUILT: '1' }, encoding: 'utf8',
      });
      results[variant].push(Number(/^µs per delivery: ([\d.]+)$/m.exec(out)![1]));
    }
  }
  const none = median(results.none);
  const than = (variant: Variant) => `${median(results[variant]).toFixed(1)} (${((median(results[variant]) / none - 1) * 100).toFixed(0)} %)`;
  return `logging: ${DELIVERIES} deliveries, best of 3 rounds, in 5 processes each; median µs per delivery: no logger ${none.toFixed(1)}, `
    + `a logger that drops every record ${than('noop')}, pino to /dev/null ${than('pino')}`;
}

async function main(): Promise<void> {
  const variant = process.env.BENCH_LOG_VARIANT as Variant | undefined;
  if (variant) {
    console.log(`µs per delivery: ${(await deliveries(variant)).toFixed(1)}`);
    return;
  }
  console.log(describeMachine(machine()));
  for (const kind of KINDS) console.log(await bulk(kind));
  console.log(await logging());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
