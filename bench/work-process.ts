/**
 * The process `npm run bench:work` measures: one webhooks instance on the default MemoryStorage with an endpoint
 * per provider (`webhooks.receiver(...)`, the pipeline without HTTP), every delivery built beforehand. It warms
 * every provider and kind up, then makes WORK_N deliveries of WORK_KIND to WORK_PROVIDER, one at a time.
 *   WORK_MEASURE=instructions  run under callgrind: the command subtracts a run with WORK_N=0 from one with WORK_N=n
 *   WORK_MEASURE=bytes         heap bytes allocated by the N deliveries: gc(), heapUsed, deliver, heapUsed; the new
 *                              space is made large enough (--max-semi-space-size) that no collection runs between
 *                              the two readings, which a `gc` performance entry would reveal (then the figure is refused)
 * Prints one line of JSON.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { library } from './library';
import { deliveries, kitOf, WORK_KINDS } from './work-deliveries';
import type { WorkDelivery, WorkKind } from './work-deliveries';

const lib = library<typeof import('../lib')>('index');
const { builtinProviders, createTokenWebhooks } = lib;
type Name = keyof typeof builtinProviders;

const N = Number(process.env.WORK_N ?? 0);
const WARMUP = Number(process.env.WORK_WARMUP ?? 150);
const PROVIDER = (process.env.WORK_PROVIDER ?? 'cybersource') as Name;
const KIND = (process.env.WORK_KIND ?? 'new') as WorkKind;
/** Built whatever N is, so that a run with N = 0 builds as much as one with N = n. */
const BUILT = Number(process.env.WORK_BUILT ?? Math.max(N, 1));

async function main(): Promise<void> {
  const webhooks = createTokenWebhooks();
  let handled = 0;
  webhooks.onEvent(() => { handled++; });
  const names = Object.keys(builtinProviders) as Name[];
  const receivers = new Map(names.map((name) => [name, webhooks.receiver(name, kitOf(builtinProviders[name]).options as never)]));
  await webhooks.ready();

  const statuses: Record<string, number> = {};
  const run = async (name: Name, list: readonly WorkDelivery[], count = list.length) => {
    const receive = receivers.get(name)!;
    for (let i = 0; i < count; i++) {
      const answer = await receive(list[i]!);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  };
  // Warm-up: every kind of the provider measured, so the JIT has seen them in every run.
  for (const kind of WORK_KINDS) await run(PROVIDER, deliveries(builtinProviders[PROVIDER], kind, WARMUP, `w${kind[0]}`));
  // Every kind's deliveries are built (and a duplicate's event delivered once) whichever is measured, so that a
  // run with N = 0 does all but the N deliveries of one with N = n.
  const built = new Map(WORK_KINDS.map((kind) => [kind, deliveries(builtinProviders[PROVIDER], kind, BUILT, `m${kind[0]}`)]));
  await run(PROVIDER, built.get('duplicate')!, 1);
  const measured = built.get(KIND)!;
  const warmStatuses = { ...statuses };
  for (const key of Object.keys(statuses)) delete statuses[key];

  const gc = (globalThis as { gc?: () => void }).gc;
  // Every run starts its measured deliveries on a collected heap, so a full collection due anyway lands alike.
  gc?.();
  gc?.();
  let collections = 0;
  const observer = new PerformanceObserver((list) => { collections += list.getEntries().length; });
  let bytes: number | undefined;
  if (process.env.WORK_MEASURE === 'bytes') {
    if (!gc) throw new Error('WORK_MEASURE=bytes needs --expose-gc');
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    await run(PROVIDER, measured, N);
    const after = process.memoryUsage().heapUsed;
    // gc entries are delivered asynchronously: let them arrive before reading the count.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    bytes = after - before;
  } else {
    await run(PROVIDER, measured, N);
  }
  process.stdout.write(`${JSON.stringify({ provider: PROVIDER, kind: KIND, n: N, bytes, collections, handled, statuses, warmStatuses })}\n`);
  await webhooks.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
