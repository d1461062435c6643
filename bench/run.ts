/**
 * `npm run bench`: webhook receivers side by side (issue 13). Each row's server runs in its own process; the
 * load comes from autocannon in this one (loopback, keep-alive, 32 connections, ~1 KB JSON bodies, a new
 * event per request). Rows alternate within each round, over several rounds, and each row reports its median
 * round. Prints one table; writes bench/results/<timestamp>.json, latest.json and latest.svg.
 *
 *   BENCH_SECONDS=5 BENCH_ROUNDS=3   measured seconds per row and round, rounds
 *   BENCH_WARMUP_SECONDS=1           unmeasured load before each measurement
 *   BENCH_ROWS=express,memory        row ids, or parts of them (see bench/rows.ts)
 *   DATABASE_URL, REDIS_URL          PostgreSQL and Redis (rows skipped when unreachable)
 */
import { settings } from './config';
import { measure } from './measure';
import type { Measurement } from './measure';
import { describeMachine, handWrittenTable, machine, summarize, table } from './report';
import type { RoundMeasurement, RowResult } from './report';
import { selectRows } from './rows';
import type { Row } from './rows';
import { freshStore, redactUrl, unreachable } from './services';
import type { Store, StoreKind } from './services';
import { chart } from './chart';
import { fileStamp, writeResults } from './results';
import { buildLibrary } from './library';

/** The store being used now, removed if the run is interrupted. */
let current: Store | undefined;

function abort(reason: string): void {
  console.error(`bench: ${reason}; stopping`);
  const done = () => process.exit(2);
  void (current?.cleanup() ?? Promise.resolve()).then(done, done);
  setTimeout(done, 10_000).unref();
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Sync rows of ours run their handler once per 2xx answer; requests in flight when a load ends may add a few. */
function handlerCheck(row: Row, m: Measurement): string | undefined {
  if (m.handled === undefined || row.mode === 'inbox') return undefined;
  const expected = row.duplicates ? 1 : m.answered2xx;
  const slack = row.duplicates ? 0 : 2 * settings.connections;
  return m.handled >= expected && m.handled <= expected + slack
    ? undefined : `handlers ran ${m.handled} times for ${m.answered2xx} 2xx answers`;
}

async function main(): Promise<void> {
  buildLibrary();
  const rows = selectRows(settings.rows);
  const startedAt = new Date();
  const before = machine();
  console.log(`network-token-webhooks bench: ${rows.length} rows × ${settings.rounds} rounds of ${settings.seconds} s (+${settings.warmupSeconds} s warm-up), `
    + `${settings.connections} connections, ${settings.bodyBytes}-byte JSON bodies, a new event per request, loopback keep-alive`);
  console.log(describeMachine(before));

  const skipped = new Map<string, string>();
  const needed = new Set(rows.map((r) => r.store).filter((s): s is StoreKind => s === 'postgres' || s === 'redis'));
  for (const kind of needed) {
    const reason = await unreachable(kind);
    if (!reason) continue;
    console.log(`skipping the ${kind} rows: ${reason}`);
    for (const row of rows) if (row.store === kind) skipped.set(row.id, reason);
  }
  const active = rows.filter((r) => !skipped.has(r.id));
  const budgetMs = active.length * settings.rounds * (settings.seconds + settings.warmupSeconds + 45) * 1000 + 60_000;
  const deadline = setTimeout(() => abort(`over the time budget of ${Math.round(budgetMs / 1000)} s`), budgetMs);
  process.once('SIGINT', () => abort('interrupted'));

  const rounds = new Map<string, RoundMeasurement[]>(rows.map((r) => [r.id, []]));
  const failures = new Map<string, string>();
  const warnings: string[] = [];
  const notes: string[] = [];
  for (let round = 1; round <= settings.rounds; round++) {
    for (const row of active) {
      current = await freshStore(row.store ?? 'memory');
      try {
        const m = await measure(row, current.env);
        rounds.get(row.id)!.push({ ...m, round });
        const check = handlerCheck(row, m);
        if (check) warnings.push(`${row.id}, round ${round}: ${check}`);
        if (row.mode === 'inbox' && m.handled !== undefined) {
          notes.push(`${row.id}, round ${round}: the worker had run the handlers of ${fmt(m.handled)} of ${fmt(m.answered2xx)} acknowledged events when the load ended`);
        }
        if (m.serverErrors) warnings.push(`${row.id}, round ${round}: the server wrote: ${m.serverErrors.split('\n').slice(0, 3).join(' | ')}`);
        console.log(`round ${round}/${settings.rounds}  ${row.id.padEnd(27)} ${fmt(m.reqPerSec).padStart(7)} req/s  p50 ${m.p50.toFixed(2)} ms  `
          + `p99 ${m.p99.toFixed(2)} ms  peak RSS ${fmt(m.peakRss / 2 ** 20)} MB  non-2xx ${m.non2xx}  errors ${m.errors + m.timeouts}`);
      } catch (error) {
        const message = (error as Error).message.split('\n')[0]!;
        failures.set(row.id, `failed: ${message}`);
        console.log(`round ${round}/${settings.rounds}  ${row.id.padEnd(27)} failed: ${(error as Error).message}`);
      } finally {
        await current.cleanup().catch((error: Error) => warnings.push(`${row.id}: cleanup failed: ${error.message}`));
        current = undefined;
      }
    }
  }
  clearTimeout(deadline);

  for (const [id, reason] of failures) if (!rounds.get(id)!.length) skipped.set(id, reason);
  const results: RowResult[] = summarize(rows, rounds, skipped);
  const after = machine();
  console.log('');
  console.log(`median of ${settings.rounds} round(s) per row; ratios are req/s over the Express floor, over express.json() and, for storage rows, `
    + `over "ours: Cybersource, memory" (for the duplicate-only row: over new events), each the median of the ratios round by round`);
  console.log(table(results));
  const versusHand = handWrittenTable(rows, results);
  if (versusHand) console.log(`\nours over hand-written (median of round-by-round req/s ratios):\n${versusHand}`);
  console.log(describeMachine(after));
  for (const note of notes) console.log(`note: ${note}`);
  for (const warning of warnings) console.log(`warning: ${warning}`);

  const stamp = fileStamp(startedAt);
  const note = `${settings.connections} connections, ${settings.bodyBytes}-byte bodies, median of ${settings.rounds} × ${settings.seconds} s; load generator on the same machine`;
  const written = writeResults(stamp, {
    kind: 'bench', startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(),
    machine: before, loadAverageAfter: after.loadAverage,
    settings: { ...settings, databaseUrl: redactUrl(settings.databaseUrl), redisUrl: redactUrl(settings.redisUrl) }, rows: results, notes, warnings,
  }, { 'latest.svg': chart(results, { machine: before, date: startedAt.toISOString().slice(0, 16).replace('T', ' '), note }) });
  console.log(`written: ${written.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
