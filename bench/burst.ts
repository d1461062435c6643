/**
 * `npm run bench:burst`: a burst of BENCH_BURST_EVENTS (50,000) distinct Cybersource events, sent as fast as the
 * load generator can (autocannon, BENCH_CONNECTIONS keep-alive connections), to this library on PostgreSQL in inbox
 * mode (acknowledged once stored, handlers run by the worker at its defaults). Reports how many were acknowledged,
 * how many the worker had handled when the burst ended, and its lag: the time from the burst's end until it has
 * handled every acknowledged event. Bounded: BENCH_BURST_SECONDS (300) for the burst, as long again for the drain.
 * Writes bench/results/burst-<timestamp>.json and burst-latest.json.
 */
import { settings } from './config';
import { buildLibrary } from './library';
import { runLoad } from './load';
import { runTag, traffic } from './payloads';
import { describeMachine, machine } from './report';
import { fileStamp, writeResults } from './results';
import { startServer } from './server-process';
import { freshStore, redactUrl, unreachable } from './services';

const EVENTS = Number(process.env.BENCH_BURST_EVENTS ?? 50_000);
const LIMIT_SECONDS = Number(process.env.BENCH_BURST_SECONDS ?? 300);
const POLL_MS = 100;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  buildLibrary();
  const reason = await unreachable('postgres');
  if (reason) throw new Error(`bench:burst needs PostgreSQL: ${reason}`);
  const started = new Date();
  const before = machine();
  console.log(`network-token-webhooks bench:burst: ${fmt(EVENTS)} distinct Cybersource events, ${settings.connections} connections, `
    + `${settings.bodyBytes}-byte bodies, PostgreSQL, inbox mode`);
  console.log(describeMachine(before));
  const store = await freshStore('postgres');
  try {
    const server = await startServer('servers/ours.ts', { ...store.env, BENCH_PROVIDER: 'cybersource', BENCH_MODE: 'inbox', BENCH_HTTP: 'express' });
    try {
      let n = 0;
      const load = await runLoad(server.port, traffic('cybersource', runTag()), {
        connections: settings.connections, maxRequests: EVENTS, seconds: LIMIT_SECONDS, next: () => n++,
      });
      const ended = performance.now();
      const acknowledged = Object.entries(load.statusCodes).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? count : 0), 0);
      const atEnd = (await server.stats()).handled ?? 0;
      console.log(`burst: ${fmt(load.requests)} answers in ${load.seconds.toFixed(1)} s (${fmt(load.reqPerSec)} req/s), ${fmt(acknowledged)} acknowledged, `
        + `non-2xx ${load.non2xx}, errors ${load.errors + load.timeouts}; p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms`);
      console.log(`the worker had handled ${fmt(atEnd)} (${((atEnd / Math.max(1, acknowledged)) * 100).toFixed(1)}%) when the burst ended`);
      let handled = atEnd;
      while (handled < acknowledged && performance.now() - ended < LIMIT_SECONDS * 1000) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        handled = (await server.stats()).handled ?? 0;
      }
      const lagSeconds = (performance.now() - ended) / 1000;
      const drained = handled >= acknowledged;
      const drainRate = (handled - atEnd) / Math.max(lagSeconds, 1e-3);
      console.log(drained
        ? `lag after the burst: ${lagSeconds.toFixed(1)} s to handle the remaining ${fmt(acknowledged - atEnd)} (${fmt(drainRate)} a second)`
        : `not drained within ${LIMIT_SECONDS} s: ${fmt(handled)} of ${fmt(acknowledged)} handled`);
      const serverErrors = server.stderr();
      if (serverErrors) console.log(`the server wrote: ${serverErrors.split('\n').slice(0, 3).join(' | ')}`);
      const written = writeResults(fileStamp(started), {
        kind: 'burst', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: before,
        settings: { events: EVENTS, connections: settings.connections, bodyBytes: settings.bodyBytes, databaseUrl: redactUrl(settings.databaseUrl) },
        load, acknowledged, handledAtBurstEnd: atEnd, handled, drained, lagSeconds, drainPerSecond: drainRate,
        ...(serverErrors ? { serverErrors } : {}),
      }, {}, 'burst-');
      console.log(`written: ${written.join(', ')}`);
    } finally {
      await server.stop();
    }
  } finally {
    await store.cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
