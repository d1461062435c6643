/**
 * The process measured by `npm run bench:memory`: one webhooks instance on the default MemoryStorage (every bound
 * at its default), fed BENCH_MEMORY_EVENTS distinct Cybersource events through `webhooks.receiver(...)` (no HTTP)
 * as fast as it takes them, a fixed number in flight. Reports progress and the final figures over IPC.
 * Run with --expose-gc, so the final figures are also taken after a full collection.
 */
import { library } from './library';
import { SECRETS } from './config';
import { runTag, traffic } from './payloads';

const { builtinProviders, createTokenWebhooks } = library<typeof import('../lib')>('index');

const EVENTS = Number(process.env.BENCH_MEMORY_EVENTS ?? 1_000_000);
const IN_FLIGHT = Number(process.env.BENCH_MEMORY_IN_FLIGHT ?? 64);
const LIMIT_MS = Number(process.env.BENCH_MEMORY_SECONDS ?? 900) * 1000;
const PROGRESS_EVERY = Math.max(1, Math.round(EVENTS / 10));

export interface MemoryFigures {
  readonly delivered: number;
  readonly seconds: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

const send = (message: Record<string, unknown>) => process.send?.(message);

function figures(delivered: number, started: number): MemoryFigures {
  const m = process.memoryUsage();
  return { delivered, seconds: (performance.now() - started) / 1000, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

async function main(): Promise<void> {
  const webhooks = createTokenWebhooks();
  let handled = 0;
  webhooks.onEvent(() => { handled++; });
  const receive = webhooks.receiver(builtinProviders.cybersource, { keys: { [SECRETS.cybersourceKeyId]: SECRETS.cybersourceKey } });
  const requests = traffic('cybersource', runTag());
  await webhooks.ready();
  const statuses: Record<string, number> = {};
  const started = performance.now();
  let next = 0;
  let delivered = 0;
  let stopped = false;
  const worker = async () => {
    while (next < EVENTS && !stopped) {
      const { body, headers } = requests(next++);
      const answer = await receive({ headers, rawBody: body });
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      if (++delivered % PROGRESS_EVERY === 0) {
        send({ type: 'progress', ...figures(delivered, started) });
        if (performance.now() - started > LIMIT_MS) stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const after = figures(delivered, started);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  send({
    type: 'done', after, afterGc: gc ? figures(delivered, started) : undefined, peakRss: process.resourceUsage().maxRSS * 1024,
    handled, statuses, stoppedEarly: stopped, events: EVENTS,
  });
  await webhooks.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
