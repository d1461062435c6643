/**
 * Soak of the delivery guarantees: three receiver processes on one storage, loopback only, bounded in time.
 * Sends SOAK_EVENTS distinct events plus 30% duplicates (a third concurrent to the same instance, a third
 * concurrent to another one, a third later), retries every non-2xx like a provider, injects 5% handler failures.
 * Instances a and b start as the previous release (0.2.0, built from its commit) and are replaced one after the
 * other by this release, as a rolling deploy does (SIGTERM, then the new one on the same port); instance c runs this
 * release with its clock 10 minutes behind throughout. Then it kills instance b with SIGKILL once and restarts it,
 * and makes the database go silent for SOAK_SILENT_MS (default 3000; 0: no silent phase) through a fault-injecting
 * proxy (every open connection half-open: swallowed both ways, never closed; new ones pass once it heals). It prints
 * how many times each event's handlers completed, and whether each token's state ended at its newest event.
 *
 *   npm run soak                          # PostgreSQL then Redis, sync mode
 *   SOAK_RUNS=postgres:inbox npm run soak # other runs: <postgres|redis>:<sync|inbox>, comma-separated
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import Redis from 'ioredis';
import { TcpProxy } from '../test/storage/tcp-proxy';
import { releaseBuild } from '../test/upgrade/releases';
import { PostgresStorage } from '../lib/storage/postgres';
import { RedisStorage } from '../lib/storage/redis';
import type { Storage } from '../lib';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env.SOAK_EVENTS ?? 14_000);
const DUPLICATE_SHARE = 0.3;
const FAIL_RATE = 0.05;
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 48);
/** The shortest lease the receivers' storageTimeoutMs (5000) allows: a renewal and its retry must fit in it. */
const LEASE_MS = 15_000;
const STORAGE_TIMEOUT_MS = 5000;
/** Instance c's own clock is this far off. */
const CLOCK_OFFSET_MS = -600_000;
/**
 * A sender's retries (about half a second apart, at most) span about 30 s: past the lease, so that a claim the
 * kill or the silent database left behind has expired before the sender gives up, as a provider's minutes do.
 */
const MAX_ATTEMPTS = 60;
const RUN_LIMIT_MS = 180_000;
const SILENT_MS = Number(process.env.SOAK_SILENT_MS ?? 3000);
/**
 * Retry-later answers to requests sent from the start of the silent phase until this long after it healed are the
 * outage's: the receivers' storageTimeoutMs (5000) plus the adapters' timeoutMs (4000) and a second to reconnect.
 */
const OUTAGE_GRACE_MS = 10_000;
const BEARER = 'soak-bearer-0123456789abcdef';
const ROOT = join(__dirname, '..');

type Target = 'a' | 'b' | 'c';

interface Receiver {
  child: ChildProcess;
  port: number;
  incarnation: number;
}

function startReceiver(name: Target, env: Record<string, string>, dir: string, incarnation: number, port = 0): Promise<Receiver> {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'soak-receiver.ts')], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, PORT: String(port), BEARER, LEASE_MS: String(LEASE_MS), STORAGE_TIMEOUT_MS: String(STORAGE_TIMEOUT_MS), FAIL_RATE: String(FAIL_RATE),
      OUT: join(dir, `${name}-${incarnation}.log`), UNSETTLED: join(dir, `${name}-${incarnation}.unsettled`) },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = out.match(/listening (\d+)/);
      if (match) resolve({ child, port: Number(match[1]), incarnation });
    });
    child.once('exit', (code) => reject(new Error(`receiver ${name} exited with ${code} before listening`)));
  });
}

const stopped = (child: ChildProcess, signal: NodeJS.Signals) => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) return resolve();
  child.once('exit', () => resolve());
  child.kill(signal);
});

function body(id: string, tokenRef: string, state: string, at: number): string {
  return JSON.stringify({
    token: '476120FDallZ7718', referenceNumber: '21082509302518698472', success: 'true', error: '',
    networkTokenStateChangeNotification: {
      messageId: id, conversationId: 'aa3a5f54-6eb2-4714-aea3-9f525353cbd7', tokenRequestorId: '12345678901',
      tokenReferenceId: tokenRef, tokenTimestamp: String(at), requestReason: 'soak', requestReasonCode: 'ACTIVATED_BY_ISSUER',
      previousTokenState: 'INACTIVE', currentTokenState: state,
    },
  });
}

interface Answer { status: number | string; code?: string; ms: number; sentAt: number }

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

function send(port: number, payload: string): Promise<Answer> {
  const started = performance.now();
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/webhooks/tokenex', method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).on('end', () => {
        let code: string | undefined;
        try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}), ms: performance.now() - started, sentAt });
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? error.message, ms: performance.now() - started, sentAt }));
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const relative = (ms: number) => `${(Math.abs(ms) / 1000).toFixed(1)} s ${ms < 0 ? 'before' : 'after'}`;
const percentile = (sorted: number[], p: number) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

async function soak(backend: 'postgres' | 'redis', mode: 'sync' | 'inbox', previousRelease: string): Promise<boolean> {
  const run = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ntw-soak-'));
  const schema = `ntw_soak_${run}`;
  const prefix = `ntw-soak-${run}:`;
  // The receivers reach the database through a fault-injecting proxy (loopback), for the silent phase.
  const target = new URL(backend === 'postgres' ? DATABASE_URL : REDIS_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || (backend === 'postgres' ? 5432 : 6379)));
  await proxy.start();
  const env: Record<string, string> = backend === 'postgres'
    ? { STORAGE: 'postgres', DATABASE_URL: proxy.url(DATABASE_URL), DATABASE_SCHEMA: schema, MODE: mode }
    : { STORAGE: 'redis', REDIS_URL: proxy.url(REDIS_URL), REDIS_KEY_PREFIX: prefix, MODE: mode };
  const previous = { ...env, RELEASE_DIR: previousRelease };
  const receivers: Record<Target, Receiver> = {
    a: await startReceiver('a', previous, dir, 1),
    b: await startReceiver('b', previous, dir, 1),
    c: await startReceiver('c', { ...env, CLOCK_OFFSET_MS: String(CLOCK_OFFSET_MS) }, dir, 1),
  };
  const limit = setTimeout(() => {
    console.error(`soak: over ${RUN_LIMIT_MS / 1000}s, stopping`);
    for (const r of Object.values(receivers)) r.child.kill('SIGKILL');
    process.exit(2);
  }, RUN_LIMIT_MS);

  // The plan: every event once, plus duplicates: concurrent to the same instance, to the other, or later.
  const duplicates = Math.round((EVENTS * DUPLICATE_SHARE) / (1 - DUPLICATE_SHARE));
  const ids = Array.from({ length: EVENTS }, (_, i) => `soak-${run}-${i}`);
  // Dated as they happen, one a second up to now: to instance c, whose clock is 10 minutes behind, the newest lie ahead.
  const firstAt = Date.now() - EVENTS * 1000;
  const states = ids.map(() => (Math.random() < 0.7 ? 'ACTIVE' : 'SUSPENDED'));
  const bodies = ids.map((id, i) => body(id, `tok-${i % 1500}`, states[i]!, firstAt + i * 1000));
  const TARGETS: readonly Target[] = ['a', 'b', 'c'];
  const pick = (not?: Target): Target => {
    const choices = TARGETS.filter((t) => t !== not);
    return choices[Math.floor(Math.random() * choices.length)]!;
  };
  const jobs: { order: number; event: number; copies: Target[] }[] = ids.map((_, i) => ({ order: i, event: i, copies: [pick()] }));
  const kinds = { concurrentSame: 0, concurrentOther: 0, later: 0 };
  for (let d = 0; d < duplicates; d++) {
    const i = Math.floor(Math.random() * EVENTS);
    const job = jobs[i]!;
    const kind = Math.floor(Math.random() * 3);
    if (kind === 0) { job.copies.push(job.copies[0]!); kinds.concurrentSame++; }
    else if (kind === 1) { job.copies.push(pick(job.copies[0])); kinds.concurrentOther++; }
    else { jobs.push({ order: i + 50 + Math.random() * 2000, event: i, copies: [pick()] }); kinds.later++; }
  }
  jobs.sort((x, y) => x.order - y.order);
  const planned = jobs.reduce((n, j) => n + j.copies.length, 0);

  const answers: Answer[] = [];
  const gaveUp: string[] = [];
  const deliver = async (event: number, first: Target) => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const target = attempt === 0 ? first : pick();
      const answer = await send(receivers[target].port, bodies[event]!);
      answers.push(answer);
      if (typeof answer.status === 'number' && answer.status < 300) return;
      await sleep(100 * Math.min(attempt + 1, 5) + Math.random() * 100); // a provider's retry, scaled down from minutes
    }
    gaveUp.push(ids[event]!);
  };

  const started = Date.now();
  let next = 0;
  let done = 0;
  // The rolling deploy: a, then b, stopped gracefully (SIGTERM: close() answers retry-later and drains) and started again
  // as this release on the same port.
  const upgraded: Target[] = [];
  let upgrading: Promise<void> | undefined;
  const deployWindows: { from: number; to: number }[] = [];
  const upgrade = async (name: Target) => {
    const from = Date.now();
    const old = receivers[name];
    await stopped(old.child, 'SIGTERM');
    receivers[name] = await startReceiver(name, env, dir, old.incarnation + 1, old.port);
    deployWindows.push({ from, to: Date.now() });
    upgraded.push(name);
  };
  const rollingDeploy = async () => {
    await upgrade('a');
    await sleep(1000);
    await upgrade('b');
  };
  let killedAt: number | undefined;
  let killedFile: string | undefined;
  const killAfter = Math.floor(jobs.length * 0.4);
  const killAndRestart = async () => {
    await upgrading;
    killedAt = Date.now();
    const old = receivers.b;
    killedFile = `b-${old.incarnation}.log`;
    await stopped(old.child, 'SIGKILL');
    await sleep(1000);
    receivers.b = await startReceiver('b', env, dir, old.incarnation + 1, old.port);
  };
  let restart: Promise<void> | undefined;
  // The silent database: every open connection swallows everything both ways and is never closed, for SILENT_MS.
  let silentAt: number | undefined;
  let healedAt: number | undefined;
  const silenceAfter = Math.floor(jobs.length * 0.7);
  const silentPhase = async () => {
    silentAt = Date.now();
    proxy.silence();
    await sleep(SILENT_MS);
    proxy.heal();
    healedAt = Date.now();
  };
  let outage: Promise<void> | undefined;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await Promise.all(job.copies.map((target) => deliver(job.event, target)));
      ++done;
      if (done === Math.floor(jobs.length * 0.1)) upgrading = rollingDeploy();
      if (done === killAfter) restart = killAndRestart();
      if (done === silenceAfter && SILENT_MS > 0) outage = silentPhase();
    }
  }));
  await upgrading;
  await restart;
  await outage;
  const sendMs = Date.now() - started;

  // Inbox mode acknowledges before the handlers run: wait (bounded) until the background work settles.
  const completions = () => {
    const counts = new Map<string, { total: number; killed: number }>();
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
      const killed = file === killedFile;
      for (const id of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (!id) continue;
        const c = counts.get(id) ?? { total: 0, killed: 0 };
        c.total++;
        if (killed) c.killed++;
        counts.set(id, c);
      }
    }
    return counts;
  };
  if (mode === 'inbox') {
    const end = Date.now() + 60_000;
    // One read of the files per look: this process also runs the proxy, which must not stall behind it.
    const pending = () => { const counts = completions(); return ids.some((id) => !counts.has(id)); };
    while (Date.now() < end && pending()) await sleep(500);
  }
  clearTimeout(limit);
  await Promise.all(Object.values(receivers).map((r) => stopped(r.child, 'SIGTERM')));
  agent.destroy();

  const counts = completions();
  // Each token's state must end at its newest event's (they are dated one a second apart, and none is DELETED).
  const newest = new Map<string, string>();
  ids.forEach((_, i) => newest.set(`tok-${i % 1500}`, states[i]!));
  const reader: Storage = backend === 'postgres' ? new PostgresStorage({ connectionString: DATABASE_URL, schema }) : new RedisStorage({ url: REDIS_URL, keyPrefix: prefix });
  await reader.init?.();
  let wrongStates = 0;
  for (const [tokenRef, state] of newest) if ((await reader.getTokenState('tokenex', tokenRef))?.state !== state) wrongStates++;
  await reader.close?.();
  // Completions whose storing failed (the receivers' UNSETTLED files): the documented window of a second run.
  const unstored = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.unsettled'))) {
    for (const id of readFileSync(join(dir, file), 'utf8').split('\n')) if (id) unstored.set(id, (unstored.get(id) ?? 0) + 1);
  }
  let once = 0; let never = 0; const twice: string[] = []; const interrupted: string[] = []; const notStored: string[] = [];
  for (const id of ids) {
    const c = counts.get(id);
    if (!c) never++;
    else if (c.total === 1) once++;
    else if (c.killed > 0 && c.total - c.killed === 1) interrupted.push(id);
    else if (c.total - 1 <= (unstored.get(id) ?? 0)) notStored.push(id);
    else twice.push(id);
  }
  const byStatus = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.status}${a.code ? ` ${a.code}` : ''}`;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  // The outage's answers: answered after the database went silent, to requests sent before it had healed for OUTAGE_GRACE_MS.
  const duringOutage = (a: Answer) => silentAt !== undefined && healedAt !== undefined && a.sentAt + a.ms >= silentAt && a.sentAt < healedAt + OUTAGE_GRACE_MS;
  const outage503 = answers.filter((a) => a.status === 503 && (a.code === 'storage_unavailable' || a.code === 'timeout') && duringOutage(a));
  // A receiver being replaced answers retry-later (shutting_down) while it drains: the provider's retry reaches another.
  const duringDeploy = (a: Answer) => deployWindows.some((w) => a.sentAt + a.ms >= w.from && a.sentAt <= w.to);
  const deploy503 = answers.filter((a) => a.status === 503 && a.code === 'shutting_down' && duringDeploy(a));
  const expected = new Set([...outage503, ...deploy503]);
  const unexpected = answers.filter((a) => typeof a.status === 'number' && a.status >= 500 && a.code !== 'handler_failed' && !expected.has(a));
  const unexpected5xx = unexpected.length;
  const lastOutage503 = outage503.reduce((last, a) => Math.max(last, a.sentAt), -Infinity);
  const firstOkAfterHeal = answers.filter((a) => healedAt !== undefined && a.sentAt >= healedAt && typeof a.status === 'number' && a.status < 300)
    .reduce((first, a) => Math.min(first, a.sentAt + a.ms), Infinity);
  const latencies = answers.filter((a) => typeof a.status === 'number').map((a) => a.ms).sort((x, y) => x - y);
  const ok = answers.filter((a) => typeof a.status === 'number' && a.status < 300).map((a) => a.ms).sort((x, y) => x - y);

  console.log(`\n=== soak: ${backend}, ${mode} mode (run ${run}) ===`);
  console.log(`deliveries planned (originals + duplicates): ${planned}  [${EVENTS} events + ${duplicates} duplicates: ${kinds.concurrentSame} concurrent same instance, ${kinds.concurrentOther} concurrent other instance, ${kinds.later} later]`);
  console.log(`HTTP requests sent (with provider-style retries): ${answers.length} in ${(sendMs / 1000).toFixed(1)} s`);
  console.log(`distinct events: ${EVENTS}`);
  console.log(`handlers completed exactly once: ${once}`);
  console.log(`handlers completed more than once, interrupted by the kill: ${interrupted.length}${interrupted.length ? ` (${interrupted.join(', ')})` : ''}`);
  console.log(`handlers completed more than once, completion not stored during the silent database: ${notStored.length}${notStored.length ? ` (${notStored.slice(0, 20).join(', ')})` : ''}`);
  console.log(`handlers completed more than once, otherwise: ${twice.length}${twice.length ? ` (${twice.slice(0, 20).join(', ')})` : ''}`);
  console.log(`handlers never completed: ${never}`);
  console.log(`deliveries the sender gave up on after ${MAX_ATTEMPTS} attempts: ${gaveUp.length}`);
  console.log(`rolling deploy from the previous release: ${upgraded.join(', ') || 'none'} replaced; 503 shutting_down while they drained: ${deploy503.length}`);
  console.log(`instance c ran with its clock ${CLOCK_OFFSET_MS / 60_000} minutes off; token states not at their newest event: ${wrongStates} of ${newest.size}`);
  console.log(`instance b killed with SIGKILL ${killedAt ? `${((killedAt - started) / 1000).toFixed(1)} s in` : 'never'} and restarted`);
  if (silentAt !== undefined && healedAt !== undefined) {
    console.log(`database silent (half-open connections, swallowed both ways) from ${((silentAt - started) / 1000).toFixed(1)} s in for ${((healedAt - silentAt) / 1000).toFixed(1)} s, then healed`);
    console.log(`  503 storage_unavailable or timeout answers since, to requests sent until ${OUTAGE_GRACE_MS / 1000} s after it healed: ${outage503.length}`
      + `${outage503.length ? `, the last to a request sent ${relative(lastOutage503 - healedAt)} it healed` : ''}`);
    console.log(`  first 2xx to a request sent after it healed: ${Number.isFinite(firstOkAfterHeal) ? `${((firstOkAfterHeal - healedAt) / 1000).toFixed(1)} s after` : 'none'}`);
  } else {
    console.log('database silent: never (SOAK_SILENT_MS=0)');
  }
  console.log('answers by status:');
  for (const [key, n] of [...byStatus].sort()) console.log(`  ${key.padEnd(32)} ${n}`);
  console.log(`5xx answers other than injected handler failures${silentAt === undefined ? '' : ' and the silent database\'s'}: ${unexpected5xx}`
    + `${unexpected5xx ? ` (${unexpected.slice(0, 10).map((a) => `${a.status} ${a.code ?? ''} sent ${((a.sentAt - started) / 1000).toFixed(1)} s in`).join(', ')})` : ''}`);
  console.log(`latency, all answers: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
  console.log(`latency, 2xx answers: p50 ${percentile(ok, 50).toFixed(1)} ms, p99 ${percentile(ok, 99).toFixed(1)} ms`);

  rmSync(dir, { recursive: true, force: true });
  await proxy.stop();
  await cleanup(backend, schema, prefix);
  const passed = never === 0 && twice.length === 0 && unexpected5xx === 0 && gaveUp.length === 0 && wrongStates === 0 && upgraded.length === 2;
  console.log(`targets: ${passed ? 'met' : 'MISSED'}`);
  return passed;
}

async function cleanup(backend: string, schema: string, prefix: string): Promise<void> {
  if (backend === 'postgres') {
    const client = new Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
    return;
  }
  const client = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = nextCursor;
    if (keys.length) await client.del(...keys);
  } while (cursor !== '0');
  client.disconnect();
}

async function main(): Promise<void> {
  const runs = (process.env.SOAK_RUNS ?? 'postgres:sync,redis:sync').split(',').map((r) => r.trim().split(':') as ['postgres' | 'redis', 'sync' | 'inbox']);
  const previousRelease = await releaseBuild('0.2.0');
  let allPassed = true;
  for (const [backend, mode] of runs) allPassed = (await soak(backend, mode ?? 'sync', previousRelease)) && allPassed;
  process.exit(allPassed ? 0 : 1);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
