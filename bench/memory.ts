/**
 * `npm run bench:memory`: the memory a webhooks instance on the default MemoryStorage holds after 1,000,000
 * distinct events (target: RSS under 256 MB at the default bounds). Delivered in a child process through the
 * transport-free receiver, as fast as it takes them; prints RSS and heap after, and after a full GC. Measures
 * only: whether the store is bounded is the library's business.
 *
 *   BENCH_MEMORY_EVENTS=1000000   events to deliver
 *   BENCH_MEMORY_SECONDS=900      stop delivering after this long and report what was reached
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './config';
import { peakRssOf } from './server-process';
import { describeMachine, machine } from './report';
import { fileStamp, writeResults } from './results';
import type { MemoryFigures } from './memory-receiver';
import { buildLibrary } from './library';

const TARGET_MB = 256;
const LIMIT_S = Number(process.env.BENCH_MEMORY_SECONDS ?? 900);
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const line = (f: MemoryFigures) =>
  `${f.delivered.toLocaleString('en-US').padStart(9)} events  ${f.seconds.toFixed(1).padStart(6)} s  `
  + `${Math.round(f.delivered / f.seconds).toLocaleString('en-US').padStart(7)}/s  RSS ${mb(f.rss).padStart(7)}  heap used ${mb(f.heapUsed).padStart(7)}`;

interface Done {
  readonly type: 'done';
  readonly after: MemoryFigures;
  readonly afterGc?: MemoryFigures;
  readonly peakRss: number;
  readonly handled: number;
  readonly statuses: Record<string, number>;
  readonly stoppedEarly: boolean;
  readonly events: number;
}

async function main(): Promise<void> {
  buildLibrary();
  const startedAt = new Date();
  const info = machine();
  console.log(`network-token-webhooks bench:memory: ${Number(process.env.BENCH_MEMORY_EVENTS ?? 1_000_000).toLocaleString('en-US')} distinct Cybersource events `
    + 'through webhooks.receiver() on the default MemoryStorage, in a child process');
  console.log(describeMachine(info));
  const child = spawn(process.execPath, ['--expose-gc', '--require', 'tsx/cjs', join(__dirname, 'memory-receiver.ts')], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const progress: MemoryFigures[] = [];
  let done: Done | undefined;
  let peakSeen = 0;
  const sampler = setInterval(() => { peakSeen = Math.max(peakSeen, peakRssOf(child.pid!) ?? 0); }, 500);
  child.on('message', (message: Done | (MemoryFigures & { readonly type: 'progress' })) => {
    if (message.type === 'progress') {
      progress.push(message);
      console.log(line(message));
    } else if (message.type === 'done') {
      done = message;
    }
  });
  const killer = setTimeout(() => { console.error(`bench:memory: no end after ${LIMIT_S + 120} s, killing the child`); child.kill('SIGKILL'); }, (LIMIT_S + 120) * 1000);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  clearTimeout(killer);
  clearInterval(sampler);

  if (!done) {
    console.log(`the child ended (${exit.code ?? exit.signal}) before finishing; last progress: ${progress.length ? line(progress.at(-1)!) : 'none'}; peak RSS seen ${mb(peakSeen)}`);
  } else {
    const peak = Math.max(done.peakRss, peakSeen);
    console.log('');
    console.log(`delivered ${done.after.delivered.toLocaleString('en-US')} of ${done.events.toLocaleString('en-US')} events in ${done.after.seconds.toFixed(1)} s`
      + `${done.stoppedEarly ? ` (stopped at the ${LIMIT_S} s limit)` : ''}; answers ${JSON.stringify(done.statuses)}; handlers ran ${done.handled.toLocaleString('en-US')} times`);
    console.log(`after:            RSS ${mb(done.after.rss)}, heap used ${mb(done.after.heapUsed)}, external ${mb(done.after.external)}`);
    if (done.afterGc) console.log(`after a full GC:  RSS ${mb(done.afterGc.rss)}, heap used ${mb(done.afterGc.heapUsed)}, external ${mb(done.afterGc.external)}`);
    console.log(`peak RSS:         ${mb(peak)}`);
    const rss = (done.afterGc ?? done.after).rss;
    console.log(`target: RSS under ${TARGET_MB} MB at the default bounds: ${rss < TARGET_MB * 2 ** 20 ? 'met' : `not met (${mb(rss)})`}`);
  }
  const written = writeResults(fileStamp(startedAt), {
    kind: 'bench:memory', startedAt: startedAt.toISOString(), machine: info, targetMb: TARGET_MB, progress, result: done ?? null,
    peakRssSeen: peakSeen, exit,
  }, {}, 'memory-');
  console.log(`written: ${written.join(', ')}`);
  process.exit(done ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
