/**
 * `npm run bench:growth`: does a store slow down once it holds a lot? For SQLite, PostgreSQL and Redis: fill a
 * store with 1,000,000 processed events (bench/prefill.ts), then run the "ours: Cybersource on <store>" row of
 * `npm run bench` on it and on an empty store, alternating, and compare req/s. Every store is removed afterwards.
 *
 *   BENCH_GROWTH_EVENTS=1000000          events to prefill
 *   BENCH_GROWTH_STORES=sqlite,postgres,redis
 *   BENCH_GROWTH_PREFILL_SECONDS=900     stop prefilling after this long (and say how many were written)
 *   BENCH_SECONDS, BENCH_ROUNDS, ...     as for `npm run bench`
 */
import { settings } from './config';
import { measure } from './measure';
import type { Measurement } from './measure';
import { prefill } from './prefill';
import type { PrefillResult } from './prefill';
import { describeMachine, machine, medianRound, pairedRatio } from './report';
import { ROWS } from './rows';
import { freshStore, unreachable } from './services';
import type { Store, StoreKind } from './services';
import { fileStamp, writeResults } from './results';
import { buildLibrary } from './library';

const EVENTS = Math.round(Number(process.env.BENCH_GROWTH_EVENTS ?? 1_000_000));
const PREFILL_LIMIT_S = Number(process.env.BENCH_GROWTH_PREFILL_SECONDS ?? 900);
const KINDS = (process.env.BENCH_GROWTH_STORES ?? 'sqlite,postgres,redis').split(',').map((s) => s.trim()).filter(Boolean) as StoreKind[];

interface GrowthResult {
  readonly store: StoreKind;
  readonly skipped?: string;
  readonly prefill?: PrefillResult;
  readonly empty: Measurement[];
  readonly prefilled: Measurement[];
}

/** Stores to remove if the run is interrupted. */
const open = new Set<Store>();

async function cleanup(store: Store): Promise<void> {
  await store.cleanup().catch((error: Error) => console.log(`warning: cleanup of the ${store.kind} store failed: ${error.message}`));
  open.delete(store);
}

function abort(reason: string): void {
  console.error(`bench:growth: ${reason}; removing the stores and stopping`);
  const done = () => process.exit(2);
  void Promise.all([...open].map(cleanup)).then(done, done);
  setTimeout(done, 120_000).unref();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const short = (m: Measurement) => `${fmt(m.reqPerSec)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms, non-2xx ${m.non2xx}`;

async function growth(kind: StoreKind): Promise<GrowthResult> {
  const row = ROWS.find((r) => r.id === `cybersource-${kind}`);
  if (!row) throw new Error(`no bench row for ${kind}`);
  const reason = kind === 'postgres' || kind === 'redis' ? await unreachable(kind) : undefined;
  if (reason) {
    console.log(`${kind}: skipped, ${reason}`);
    return { store: kind, skipped: reason, empty: [], prefilled: [] };
  }
  const full = await freshStore(kind);
  open.add(full);
  try {
    console.log(`${kind}: prefilling ${fmt(EVENTS)} processed events…`);
    const started = performance.now();
    const filled = await prefill(full, EVENTS, PREFILL_LIMIT_S * 1000, (done) => {
      if (done % 200_000 === 0 || done === EVENTS) {
        const s = (performance.now() - started) / 1000;
        console.log(`${kind}:   ${fmt(done).padStart(9)} in ${s.toFixed(1)} s (${fmt(done / s)}/s)`);
      }
    });
    console.log(`${kind}: prefilled ${fmt(filled.events)} events in ${filled.seconds.toFixed(1)} s${filled.stoppedEarly ? ` (stopped at the ${PREFILL_LIMIT_S} s limit)` : ''}`);
    const empty: Measurement[] = [];
    const prefilled: Measurement[] = [];
    for (let round = 1; round <= settings.rounds; round++) {
      const fresh = await freshStore(kind);
      open.add(fresh);
      try {
        const m = await measure(row, fresh.env);
        empty.push(m);
        console.log(`${kind}: round ${round}/${settings.rounds}  empty store      ${short(m)}`);
      } finally {
        await cleanup(fresh);
      }
      const m = await measure(row, full.env);
      prefilled.push(m);
      console.log(`${kind}: round ${round}/${settings.rounds}  ${fmt(filled.events)} events  ${short(m)}`);
    }
    return { store: kind, prefill: filled, empty, prefilled };
  } finally {
    console.log(`${kind}: removing the prefilled store…`);
    await cleanup(full);
  }
}

async function main(): Promise<void> {
  buildLibrary();
  const startedAt = new Date();
  const info = machine();
  console.log(`network-token-webhooks bench:growth: ${fmt(EVENTS)} processed events per store, then ${settings.rounds} × ${settings.seconds} s `
    + `of Cybersource deliveries on it and on an empty store, alternating (${settings.connections} connections, ${settings.bodyBytes}-byte bodies)`);
  console.log(describeMachine(info));
  const budgetS = KINDS.length * (PREFILL_LIMIT_S + 600 + settings.rounds * 2 * (settings.seconds + settings.warmupSeconds + 45));
  const deadline = setTimeout(() => abort(`over the time budget of ${budgetS} s`), budgetS * 1000);
  process.once('SIGINT', () => abort('interrupted'));

  const results: GrowthResult[] = [];
  for (const kind of KINDS) {
    try {
      results.push(await growth(kind));
    } catch (error) {
      console.log(`${kind}: failed: ${(error as Error).message}`);
      results.push({ store: kind, skipped: `failed: ${(error as Error).message.split('\n')[0]}`, empty: [], prefilled: [] });
    }
  }
  clearTimeout(deadline);

  console.log('');
  console.log(`median of ${settings.rounds} round(s); "ratio" is req/s on the prefilled store over req/s on an empty one, the median of the rounds' ratios`);
  const header = ['store', 'prefilled events', 'prefill', 'empty req/s', 'prefilled req/s', 'ratio', 'p50 empty / prefilled ms', 'p99 empty / prefilled ms'];
  const lines = [header];
  const summary = results.map((r) => {
    const e = medianRound(r.empty);
    const p = medianRound(r.prefilled);
    if (!e || !p || !r.prefill) {
      lines.push([r.store, `skipped: ${r.skipped ?? 'no result'}`]);
      return { ...r, median: null };
    }
    const ratio = pairedRatio(r.prefilled, r.empty)!;
    lines.push([r.store, fmt(r.prefill.events), `${r.prefill.seconds.toFixed(0)} s (${fmt(r.prefill.events / r.prefill.seconds)}/s)`,
      fmt(e.reqPerSec), fmt(p.reqPerSec), `${ratio.toFixed(2)}×`, `${e.p50.toFixed(2)} / ${p.p50.toFixed(2)}`, `${e.p99.toFixed(2)} / ${p.p99.toFixed(2)}`]);
    return { ...r, median: { empty: e, prefilled: p, ratio } };
  });
  const widths = header.map((_, c) => Math.max(...lines.filter((l) => l.length === header.length).map((l) => l[c]!.length)));
  for (const l of lines) {
    console.log(l.length === header.length ? l.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ') : l.join('  '));
  }
  console.log(describeMachine(machine()));
  const written = writeResults(fileStamp(startedAt), {
    kind: 'bench:growth', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine: info,
    events: EVENTS, settings: { seconds: settings.seconds, rounds: settings.rounds, connections: settings.connections, bodyBytes: settings.bodyBytes },
    stores: summary,
  }, {}, 'growth-');
  console.log(`written: ${written.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
