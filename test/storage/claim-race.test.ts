import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';

const CHILD = join(__dirname, 'claim-race-child.ts');
const COUNT = 1000;

interface Contender {
  readonly ready: Promise<void>;
  readonly done: Promise<{ won: string[]; other: number; ms: number }>;
  go(): void;
}

/** Start one child process with its own adapter instance. */
function contender(env: Record<string, string>): Contender {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], {
    cwd: join(__dirname, '..', '..'), env: { ...process.env, ...env, RACE_COUNT: String(COUNT) }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { signalReady = resolve; });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) signalReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const done = new Promise<{ won: string[]; other: number; ms: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`contender exited with ${code}: ${stderr}`));
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(last) as { won: string[]; other: number; ms: number });
      } catch {
        reject(new Error(`contender printed no result: ${stdout} ${stderr}`));
      }
    });
  });
  // A child that fails before "ready" must fail the test rather than hang it.
  const readyOrFailed = Promise.race([ready, done.then(() => { throw new Error('contender ended before ready'); })]);
  return { ready: readyOrFailed, done, go: () => child.stdin.end('go\n') };
}

/** Two processes race on the same 1,000 ids: every id must be won exactly once. */
async function race(env: Record<string, string>): Promise<{ a: number; b: number; ms: number[] }> {
  const contenders = [contender(env), contender(env)];
  await Promise.all(contenders.map((c) => c.ready));
  for (const c of contenders) c.go();
  const [a, b] = await Promise.all(contenders.map((c) => c.done));
  assert.ok(a && b);
  assert.equal(a.other + b.other, 0, 'no claim of a fresh id may answer processed');
  const wonA = new Set(a.won);
  const both = b.won.filter((id) => wonA.has(id));
  assert.deepEqual(both, [], 'ids won by both processes');
  assert.equal(new Set([...a.won, ...b.won]).size, COUNT, 'every id won by one process');
  return { a: a.won.length, b: b.won.length, ms: [a.ms, b.ms] };
}

describe('claims across processes: two processes, own adapter instances, same 1,000 ids', function () {
  this.timeout(60_000);

  describe('PostgreSQL', function () {
    const schema = uniqueName('ntw_test_');
    const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
    after(async function () {
      if (service.available) await dropSchema(schema);
    });

    it('gives every id to exactly one process', async function () {
      const result = await race({ RACE_KIND: 'postgres', RACE_TARGET: DATABASE_URL, RACE_NAMESPACE: schema });
      this.test!.title += ` (won ${result.a} / ${result.b}, ${result.ms.join(' / ')} ms)`;
    });
  });

  describe('Redis', function () {
    const prefix = `${uniqueName('ntw-test:')}:`;
    const service = needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);
    after(async function () {
      if (service.available) await deleteKeys(prefix);
    });

    it('gives every id to exactly one process', async function () {
      const result = await race({ RACE_KIND: 'redis', RACE_TARGET: REDIS_URL, RACE_NAMESPACE: prefix });
      this.test!.title += ` (won ${result.a} / ${result.b}, ${result.ms.join(' / ')} ms)`;
    });
  });

  describe('SQLite (one file, two processes)', function () {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-race-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('gives every id to exactly one process', async function () {
      const result = await race({ RACE_KIND: 'sqlite', RACE_TARGET: join(dir, 'race.db') });
      this.test!.title += ` (won ${result.a} / ${result.b}, ${result.ms.join(' / ')} ms)`;
    });
  });
});
