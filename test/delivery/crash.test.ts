import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTokenWebhooks } from '../../lib';
import type { InboxTokenWebhooks, Storage, TokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';
import { eventually, tokenexBody } from './support';
import { BEARER } from '../helpers/app';
import { mount } from './survivor-app';

const CHILD = join(__dirname, 'crash-child.ts');
const LEASE_MS = 1500;
/** The longest storage call such a short lease leaves room for (a renewal and its retry: a third of it). */
const STORAGE_TIMEOUT_MS = 500;

interface Child {
  readonly process: ChildProcess;
  readonly port: Promise<number>;
  entered(id: string): Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], {
    cwd: join(__dirname, '..', '..'), env: { ...process.env, ...env, LEASE_MS: String(LEASE_MS), STORAGE_TIMEOUT_MS: String(STORAGE_TIMEOUT_MS) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { out += chunk; for (const w of waiters.splice(0)) w(); });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const until = (pattern: RegExp) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = out.match(pattern);
      if (match) return resolve(match);
      if (child.exitCode !== null) return reject(new Error(`child exited: ${err}`));
      waiters.push(check);
    };
    child.once('exit', () => { for (const w of waiters.splice(0)) w(); });
    check();
  });
  return {
    process: child,
    port: until(/listening (\d+)/).then((m) => Number(m[1])),
    entered: (id) => until(new RegExp(`entered ${id}`)).then(() => undefined),
  };
}

async function postTo(port: number, body: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/tokenex`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, body,
  });
  await res.arrayBuffer();
  return res.status;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Kill -9 between claim and completion, then redeliver to a survivor on the same storage. */
function crashSuite(name: string, makeStorage: () => Storage, env: () => Record<string, string>): void {
  for (const mode of ['sync', 'inbox'] as const) {
    it(`${name}, ${mode} mode: a receiver killed mid-handler leaves a lease that expires; the redelivery (or the inbox) completes the handlers`, async function () {
      this.timeout(30_000);
      const storage = makeStorage();
      const child = startChild({ ...env(), MODE: mode });
      let survivor: TokenWebhooks | undefined;
      try {
        const id = `evt-crash-${mode}-${Date.now()}`;
        const body = tokenexBody({ id, tokenRef: `tok-crash-${mode}` });
        const port = await child.port;
        const firstAnswer = postTo(port, body).then((status) => status, () => 'connection lost' as const);
        await child.entered(id);
        // Inbox mode: acknowledged once durably stored, before the worker runs it; the answer may still be on its
        // way when the handler starts, so it is taken before the kill. Sync mode: never acknowledged.
        if (mode === 'inbox') assert.equal(await firstAnswer, 200);
        await killed(child.process);
        if (mode === 'sync') assert.equal(await firstAnswer, 'connection lost');

        const runs: string[] = [];
        survivor = createTokenWebhooks({ storage, leaseMs: LEASE_MS, storageTimeoutMs: STORAGE_TIMEOUT_MS, mode, pruneIntervalMs: false, inbox: { pollIntervalMs: false } });
        survivor.onEvent((event) => { runs.push(event.id); });
        const { app } = mount(survivor);
        if (mode === 'sync') {
          // The provider retries; while the dead process's lease lasts it hears 409, then the retry is processed.
          const statuses: number[] = [];
          await eventually(async () => {
            statuses.push(await app(body));
            return statuses.at(-1) === 200;
          }, 10_000, 'a redelivery to be accepted');
          assert.ok(statuses.slice(0, -1).every((s) => s === 409), `only in_progress before the lease expired: ${statuses.join(',')}`);
        } else {
          const inbox = survivor as InboxTokenWebhooks;
          await eventually(async () => (await inbox.processInbox()) > 0, 10_000, 'the leased inbox entry to be due again');
        }
        assert.deepEqual(runs, [id]);
        assert.equal(await app(body), 200);
        assert.deepEqual(runs, [id], 'handlers ran once more after the crash, and not again');
        assert.equal((await survivor.getTokenState('tokenex', `tok-crash-${mode}`))?.state, 'ACTIVE');
      } finally {
        await killed(child.process);
        await survivor?.close();
      }
    });
  }
}

describe('delivery: kill -9 mid-handler', function () {
  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schema = uniqueName('ntw_crash_');
    after(() => dropSchema(schema).catch(() => undefined));
    crashSuite('PostgreSQL', () => new PostgresStorage({ connectionString: DATABASE_URL, schema }),
      () => ({ STORAGE: 'postgres', DATABASE_URL, DATABASE_SCHEMA: schema }));
  });
  describe('Redis', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    const prefix = uniqueName('ntw-crash:');
    after(() => deleteKeys(prefix).then(() => undefined, () => undefined));
    crashSuite('Redis', () => new RedisStorage({ url: REDIS_URL, keyPrefix: prefix }),
      () => ({ STORAGE: 'redis', REDIS_URL, REDIS_KEY_PREFIX: prefix }));
  });
});
