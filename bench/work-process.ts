/**
 * The process `npm run bench:work` measures: one webhooks instance on the default MemoryStorage with an endpoint
 * per provider (`webhooks.receiver(...)`, the pipeline without HTTP), every delivery built beforehand. It warms
 * every provider and kind up, then makes WORK_N deliveries of WORK_KIND to WORK_PROVIDER, one at a time.
 * WORK_PROVIDER=hand-written: the same Cybersource deliveries to what a user hand-writes for the same checks
 * (`hand-written-checks.ts`, a `Map` of seen ids, the answer's JSON), the reference the library is read against.
 *   WORK_MEASURE=instructions  run under callgrind: the command subtracts a run with WORK_N=0 from one with WORK_N=n
 *   WORK_MEASURE=bytes         heap bytes allocated by the N deliveries: gc(), heapUsed, deliver, heapUsed; the new
 *                              space is made large enough (--max-semi-space-size) that no collection runs between
 *                              the two readings, which a `gc` performance entry would reveal (then the figure is refused)
 * Prints one line of JSON.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { eventIdOf, signed, validate } from './hand-written-checks';
import { library } from './library';
import { deliveries, kitOf, WORK_KINDS } from './work-deliveries';
import type { WorkDelivery, WorkKind } from './work-deliveries';

const lib = library<typeof import('../lib')>('index');
const { builtinProviders, createTokenWebhooks } = lib;
type Name = keyof typeof builtinProviders;
type Receive = (delivery: WorkDelivery) => Promise<{ readonly status: number }>;

const HAND_WRITTEN = 'hand-written';
const N = Number(process.env.WORK_N ?? 0);
const WARMUP = Number(process.env.WORK_WARMUP ?? 150);
const MEASURED = process.env.WORK_PROVIDER ?? 'cybersource';
/** The provider whose deliveries are made: the hand-written reference takes Cybersource's. */
const PROVIDER = (MEASURED === HAND_WRITTEN ? 'cybersource' : MEASURED) as Name;
const KIND = (process.env.WORK_KIND ?? 'new') as WorkKind;
/** Built whatever N is, so that a run with N = 0 builds as much as one with N = n. */
const BUILT = Number(process.env.WORK_BUILT ?? Math.max(N, 1));

/** The hand-written reference (`servers/hand-written.ts` without Express): parse, signature, schema, id, dedupe, handler, answer. */
function handWritten(onEvent: () => void): Receive {
  const { credentials } = kitOf(builtinProviders.cybersource);
  const secret = (credentials as { secret: { keyId: string; key: string } }).secret;
  const keys = new Map([[secret.keyId, Buffer.from(secret.key, 'base64')]]);
  const seen = new Map<string, boolean>();
  const answer = (status: number, body: object) => ({ status, body: JSON.stringify(body) });
  return async ({ headers, rawBody }) => {
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return answer(400, { error: 'json' });
    }
    if (!signed(headers['v-c-signature'], rawBody, keys)) return answer(401, { error: 'signature' });
    if (!validate(body)) return answer(400, { error: 'schema' });
    const id = eventIdOf(body);
    if (id === undefined) return answer(400, { error: 'id' });
    if (seen.has(id)) return answer(200, { ok: true, duplicate: true });
    seen.set(id, false);
    onEvent();
    seen.set(id, true);
    return answer(200, { ok: true });
  };
}

async function main(): Promise<void> {
  const webhooks = createTokenWebhooks();
  let handled = 0;
  webhooks.onEvent(() => { handled++; });
  const names = Object.keys(builtinProviders) as Name[];
  const receivers = new Map<Name, Receive>(names.map((name) => [name, webhooks.receiver(name, kitOf(builtinProviders[name]).options as never)]));
  await webhooks.ready();
  const measured = MEASURED === HAND_WRITTEN ? handWritten(() => { handled++; }) : receivers.get(PROVIDER)!;

  const statuses: Record<string, number> = {};
  const run = async (receive: Receive, list: readonly WorkDelivery[], count = list.length) => {
    for (let i = 0; i < count; i++) {
      const answer = await receive(list[i]!);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    }
  };
  // Warm-up: every kind of the provider measured, so the JIT has seen them in every run.
  for (const kind of WORK_KINDS) await run(measured, deliveries(builtinProviders[PROVIDER], kind, WARMUP, `w${kind[0]}`));
  // Every kind's deliveries are built (and a duplicate's event delivered once) whichever is measured, so that a
  // run with N = 0 does all but the N deliveries of one with N = n.
  const built = new Map(WORK_KINDS.map((kind) => [kind, deliveries(builtinProviders[PROVIDER], kind, BUILT, `m${kind[0]}`)]));
  await run(measured, built.get('duplicate')!, 1);
  const list = built.get(KIND)!;
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
    await run(measured, list, N);
    const after = process.memoryUsage().heapUsed;
    // gc entries are delivered asynchronously: let them arrive before reading the count.
    await new Promise((resolve) => setImmediate(resolve));
    observer.disconnect();
    bytes = after - before;
  } else {
    await run(measured, list, N);
  }
  process.stdout.write(`${JSON.stringify({ provider: MEASURED, kind: KIND, n: N, bytes, collections, handled, statuses, warmStatuses })}\n`);
  await webhooks.close();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
