/**
 * `npm run bench:console`: how long the operations console takes to answer once a store holds a lot. For each
 * store: prefill processed events (bench/prefill.ts; receipts over the last six days, a token each), add a few
 * hundred dead letters, then time the overview, a token's timeline, the inbox, and the Events page (the newest, a page
 * three days deep by cursor, a search by id and by token, filters by provider, status and time, and together) and an
 * event's page over HTTP. Every store is removed afterwards.
 *
 *   BENCH_CONSOLE_EVENTS=1000000            events to prefill in SQLite, PostgreSQL and Redis
 *   BENCH_CONSOLE_MEMORY_EVENTS=10000       events in the in-memory store: its default bound (`maxEntries`)
 *   BENCH_CONSOLE_STORES=memory,sqlite,postgres,redis
 *   BENCH_CONSOLE_REQUESTS=20               timed requests per page (after one warm-up request)
 *   BENCH_CONSOLE_PREFILL_SECONDS=900       stop prefilling after this long (and say how many were written)
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { MemoryStorage, createTokenWebhooks } from '../lib';
import type { EntryRecord, Storage } from '../lib';
import { MEMORY_STORAGE_BOUNDS } from '../lib/storage/memory';
import { prefill } from './prefill';
import { describeMachine, machine } from './report';
import { freshStore, unreachable } from './services';
import type { Store, StoreKind } from './services';
import { storageFrom } from './servers/storage';
import { fileStamp, writeResults } from './results';
import { encodeCursor } from '../lib/console/search';
import { buildLibrary } from './library';

const EVENTS = Math.round(Number(process.env.BENCH_CONSOLE_EVENTS ?? 1_000_000));
const MEMORY_EVENTS = Math.round(Number(process.env.BENCH_CONSOLE_MEMORY_EVENTS ?? MEMORY_STORAGE_BOUNDS.maxEntries));
const KINDS = (process.env.BENCH_CONSOLE_STORES ?? 'memory,sqlite,postgres,redis').split(',').map((s) => s.trim()).filter(Boolean) as StoreKind[];
const REQUESTS = Math.max(1, Math.round(Number(process.env.BENCH_CONSOLE_REQUESTS ?? 20)));
const PREFILL_LIMIT_S = Number(process.env.BENCH_CONSOLE_PREFILL_SECONDS ?? 900);
const DEAD_LETTERS = 300;
const CREDENTIALS = { username: 'bench', password: 'bench-console-password' };
const MOUNT = '/ops';
const DAY_MS = 24 * 3600_000;

interface PageTiming { readonly page: string; readonly p50: number; readonly max: number; readonly bytes: number }
interface ConsoleResult { readonly store: StoreKind; readonly events?: number; readonly prefillSeconds?: number; readonly skipped?: string; readonly pages: PageTiming[] }

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const record = (i: number, at: number, status: string): EntryRecord => ({
  provider: 'cybersource', id: `bench-${status}-${i}`, type: 'token.active', tokenRef: `TOKBENCH${status.toUpperCase()}${i}`, state: 'ACTIVE',
  occurredAt: new Date(at), receivedAt: new Date(at), fingerprint: 'f', body: '{"bench":true}',
});

/** The in-memory store, filled through its own methods (prefill.ts writes databases directly). */
function fillMemory(storage: MemoryStorage, events: number): void {
  const now = Date.now();
  const span = 6 * 24 * 3600 * 1000;
  for (let i = 0; i < events; i++) {
    const r = record(i, now - span + Math.floor((i / events) * span), 'done');
    storage.admit(r, { as: 'running', owner: 'fill', leaseMs: 60_000 });
    storage.settle(r, 'fill', { status: 'done' });
  }
}

/** Dead letters received over the last hour, through the storage API (their counts kept as in production). */
async function addDeadLetters(storage: Storage): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < DEAD_LETTERS; i++) {
    const r = record(i, now - Math.floor((i / DEAD_LETTERS) * 3600_000), 'dead');
    await storage.admit(r, { as: 'running', owner: 'fill', leaseMs: 60_000 });
    await storage.settle(r, 'fill', { status: 'dead', error: 'handler failed: downstream 503' });
  }
}

async function timePage(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}` } });
  const body = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${body.slice(0, 300)}`);
  return { ms, bytes: Buffer.byteLength(body) };
}

async function measurePages(storage: Storage): Promise<PageTiming[]> {
  const webhooks = createTokenWebhooks({ storage, pruneIntervalMs: false });
  const app = express().use(MOUNT, webhooks.console({ credentials: CREDENTIALS }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  try {
    await webhooks.ready();
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${MOUNT}`;
    const [newest] = await storage.listEntries({ order: 'newest', limit: 1, status: 'done' });
    const stats = await storage.stats?.({ since: new Date(Date.now() - 3600_000), until: new Date() });
    const sum = (rows: readonly { count: number }[] = []) => fmt(rows.reduce((a, r) => a + r.count, 0));
    if (stats) console.log(`  counts: ${sum(stats.received)} received in the last hour, ${sum(stats.open)} open, ${sum(stats.tokens)} tokens`);
    const [deep] = await storage.listEntries({ order: 'newest', until: new Date(Date.now() - 3 * DAY_MS), limit: 1 });
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    const hour = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().slice(0, 16);
    const pages = [
      { page: 'overview', url: `${base}/` },
      { page: 'timeline', url: `${base}/tokens?provider=cybersource&tokenRef=${encodeURIComponent(newest?.tokenRef ?? 'none')}` },
      { page: 'inbox', url: `${base}/inbox` },
      { page: 'events', url: `${base}/events` },
      { page: 'events, 3 days deep', url: `${base}/events?${q({ after: encodeCursor(deep ?? { receivedAt: new Date(), provider: 'none', id: 'none' }) })}` },
      { page: 'search id', url: `${base}/events?${q({ id: newest?.id ?? 'none' })}` },
      { page: 'search token', url: `${base}/events?${q({ tokenRef: newest?.tokenRef ?? 'none' })}` },
      { page: 'provider', url: `${base}/events?${q({ provider: 'cybersource' })}` },
      { page: 'empty provider', url: `${base}/events?${q({ provider: 'tokenex' })}` },
      { page: 'status dead', url: `${base}/events?${q({ status: 'dead' })}` },
      { page: 'time range', url: `${base}/events?${q({ from: hour(3 * DAY_MS), to: hour(3 * DAY_MS - 3600_000) })}` },
      { page: 'provider, done, range', url: `${base}/events?${q({ provider: 'cybersource', status: 'done', from: hour(4 * DAY_MS), to: hour(2 * DAY_MS) })}` },
      { page: 'event', url: `${base}/event?${q({ provider: 'cybersource', id: newest?.id ?? 'none' })}` },
    ];
    const timings: PageTiming[] = [];
    for (const { page, url } of pages) {
      await timePage(url); // warm-up: the first query of a kind plans it, fills caches
      const runs: number[] = [];
      let bytes = 0;
      for (let i = 0; i < REQUESTS; i++) {
        const t = await timePage(url);
        runs.push(t.ms);
        bytes = t.bytes;
      }
      runs.sort((a, b) => a - b);
      timings.push({ page, p50: runs[Math.floor(runs.length / 2)]!, max: runs.at(-1)!, bytes });
    }
    return timings;
  } finally {
    server.close();
    await webhooks.close();
  }
}

async function run(kind: StoreKind): Promise<ConsoleResult> {
  const reason = kind === 'postgres' || kind === 'redis' ? await unreachable(kind) : undefined;
  if (reason) return { store: kind, skipped: reason, pages: [] };
  if (kind === 'memory') {
    const storage = new MemoryStorage({ maxEntries: Math.max(MEMORY_EVENTS, MEMORY_STORAGE_BOUNDS.maxEntries), maxTokenStates: Math.max(MEMORY_EVENTS, MEMORY_STORAGE_BOUNDS.maxTokenStates) });
    const started = performance.now();
    fillMemory(storage, MEMORY_EVENTS);
    await addDeadLetters(storage);
    const seconds = (performance.now() - started) / 1000;
    console.log(`memory: filled ${fmt(MEMORY_EVENTS)} events in ${seconds.toFixed(1)} s`);
    return { store: kind, events: MEMORY_EVENTS, prefillSeconds: seconds, pages: await measurePages(storage) };
  }
  const store: Store = await freshStore(kind);
  try {
    console.log(`${kind}: prefilling ${fmt(EVENTS)} processed events…`);
    const filled = await prefill(store, EVENTS, PREFILL_LIMIT_S * 1000, (done) => {
      if (done % 200_000 === 0) console.log(`${kind}:   ${fmt(done)}`);
    });
    console.log(`${kind}: prefilled ${fmt(filled.events)} events in ${filled.seconds.toFixed(1)} s${filled.stoppedEarly ? ' (stopped at the time limit)' : ''}`);
    const storage = storageFrom(store.env);
    try {
      await storage.init?.();
      await addDeadLetters(storage);
    } finally {
      await storage.close?.();
    }
    return { store: kind, events: filled.events, prefillSeconds: filled.seconds, pages: await measurePages(storageFrom(store.env)) };
  } finally {
    await store.cleanup().catch((error: Error) => console.log(`warning: cleanup of the ${kind} store failed: ${error.message}`));
  }
}

async function main(): Promise<void> {
  if (KINDS.some((kind) => kind !== 'memory')) buildLibrary(); // the stores are made from the build (bench/servers/storage.ts)
  const startedAt = new Date();
  const info = machine();
  console.log(`network-token-webhooks bench:console: ${fmt(EVENTS)} stored events (memory: ${fmt(MEMORY_EVENTS)}) + ${DEAD_LETTERS} dead letters, `
    + `${REQUESTS} timed requests per page`);
  console.log(describeMachine(info));
  const results: ConsoleResult[] = [];
  for (const kind of KINDS) {
    try {
      const result = await run(kind);
      if (result.skipped) console.log(`${kind}: skipped, ${result.skipped}`);
      for (const p of result.pages) console.log(`${kind}: ${p.page.padEnd(22)} p50 ${p.p50.toFixed(1)} ms, max ${p.max.toFixed(1)} ms (${fmt(p.bytes)} bytes)`);
      results.push(result);
    } catch (error) {
      console.log(`${kind}: failed: ${(error as Error).message}`);
      results.push({ store: kind, skipped: `failed: ${(error as Error).message.split('\n')[0]}`, pages: [] });
    }
  }
  console.log('');
  const measured = results.filter((r) => !r.skipped);
  for (const r of results) if (r.skipped) console.log(`${r.store}: skipped: ${r.skipped}`);
  console.log(`${'page (p50 / max, ms)'.padEnd(24)}${measured.map((r) => `${r.store} (${fmt(r.events ?? 0)})`.padStart(22)).join('')}`);
  for (const page of measured[0]?.pages.map((p) => p.page) ?? []) {
    const cell = (r: ConsoleResult) => {
      const p = r.pages.find((x) => x.page === page);
      return (p ? `${p.p50.toFixed(1)} / ${p.max.toFixed(1)}` : '').padStart(22);
    };
    console.log(`${page.padEnd(24)}${measured.map(cell).join('')}`);
  }
  const written = writeResults(fileStamp(startedAt), {
    kind: 'bench:console', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine: info,
    events: EVENTS, memoryEvents: MEMORY_EVENTS, deadLetters: DEAD_LETTERS, requests: REQUESTS, stores: results,
  }, {}, 'console-');
  console.log(`results: ${written.join(', ')}`);
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
