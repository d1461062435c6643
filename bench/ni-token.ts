/**
 * `npx tsx bench/ni-token.ts`: the cost of issuing and verifying NI access tokens (`niTokenEndpoint()`), in this
 * process, without HTTP. Sequential calls (one at a time: the latency a delivery sees) and batches of 100 in
 * flight (throughput when deliveries overlap): operations per second, and CPU time per operation (all threads;
 * steadier than wall time on a shared machine). Prints figures only.
 *
 *   BENCH_TOKEN_MS=1000   length of each measurement
 *   BENCH_TOKEN_ROUNDS=5  rounds; each figure is the median round
 */
import { niTokenEndpoint } from '../lib';
import { clientCredentials } from '../lib/auth/client-credentials';
import { signToken } from '../lib/auth/signed-token';

const MS = Number(process.env.BENCH_TOKEN_MS ?? 1000);
const ROUNDS = Number(process.env.BENCH_TOKEN_ROUNDS ?? 5);
const BATCH = 100;

const clients = [
  { clientId: 'ni-client-old', clientSecret: 'ni-client-secret-old-0123456789' },
  { clientId: 'ni-client-new', clientSecret: 'ni-client-secret-new-9876543210' },
];

/** Operations per second of wall time, and CPU µs per operation (all threads: WebCrypto runs on libuv's pool). */
async function rate(fn: () => unknown, batch: number): Promise<{ perSecond: number; cpuMicros: number }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  let done = 0;
  while (performance.now() - start < MS) {
    if (batch === 1) await fn();
    else await Promise.all(Array.from({ length: batch }, fn));
    done += batch;
  }
  const used = process.cpuUsage(cpu);
  return { perSecond: done / ((performance.now() - start) / 1000), cpuMicros: (used.user + used.system) / done };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(name: string, fn: () => unknown): Promise<void> {
  await rate(fn, 1); // warm-up
  const line: string[] = [];
  for (const batch of [1, BATCH]) {
    const rounds: { perSecond: number; cpuMicros: number }[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await rate(fn, batch));
    const perSecond = median(rounds.map((r) => r.perSecond));
    const cpu = median(rounds.map((r) => r.cpuMicros));
    line.push(`${batch === 1 ? 'sequential' : `${batch} in flight`}: ${Math.round(perSecond).toLocaleString('en-US').padStart(9)}/s, CPU ${cpu.toFixed(1).padStart(5)} µs`);
  }
  console.log(`${name.padEnd(44)} ${line.join('   ')}`);
}

async function main(): Promise<void> {
  const now = Date.now();
  const one = niTokenEndpoint({ ...clients[1]!, now: () => now, throttle: false });
  const two = niTokenEndpoint({ clients, now: () => now, throttle: false });
  const key = clientCredentials({ ...clients[1]!, now: () => now }, 'ni').keys[0]!;
  const token = await signToken(key, 'ni', 3600, now);
  const [h, p, s] = token.split('.') as [string, string, string];
  const wrongSignature = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
  if (!(await one.verify(token)) || !(await two.verify(token)) || (await one.verify(wrongSignature))) throw new Error('setup: verify disagrees');

  console.log(`node ${process.version}, ${MS} ms x ${ROUNDS} rounds, median`);
  await measure('sign (issue a token)', () => signToken(key, 'ni', 3600, now));
  await measure('verify a valid token, 1 client configured', () => one.verify(token));
  await measure('verify a valid token, 2 clients configured', () => two.verify(token));
  await measure('verify a wrong signature, 1 client', () => one.verify(wrongSignature));
  await measure('verify garbage ("not-a-token"), 1 client', () => one.verify('not-a-token'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
