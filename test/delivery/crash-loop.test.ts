import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { Storage } from '../../lib';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { PostgresStorage } from '../../lib/storage/postgres';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from '../storage/services';
import { BEARER } from '../helpers/app';
import { MOUNT, OPS } from '../console/support';
import { eventually, tokenexBody } from './support';

const CHILD = join(__dirname, 'crash-loop-child.ts');
const MAX_ATTEMPTS = 3;
/** More restarts than a crash loop that is stopped needs: the fault shows as many poison runs as restarts. */
const RESTARTS = MAX_ATTEMPTS + 3;
const POISON = 'evt-poison';

interface Child {
  readonly process: ChildProcess;
  readonly port: Promise<number>;
  /** Everything it printed so far, line by line. */
  readonly lines: string[];
  readonly exited: Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', CHILD], {
    cwd: join(__dirname, '..', '..'), env: { ...process.env, ...env, POISON, MAX_ATTEMPTS: String(MAX_ATTEMPTS) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let rest = '';
  let resolvePort: (port: number) => void;
  const port = new Promise<number>((resolve) => { resolvePort = resolve; });
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      const listening = /^listening (\d+)$/.exec(line);
      if (listening) resolvePort(Number(listening[1]));
    }
  });
  child.stderr!.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { process: child, port, lines, exited };
}

async function postTo(port: number, body: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/webhooks/tokenex`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, body,
  });
  await res.arrayBuffer();
  return res.status;
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  await child.exited;
}

/**
 * A supervisor's loop: start the receiver; when it dies, start it again. Each one is sent the poison event (until
 * one acknowledged it) and an ordinary event of its own; a delivery the receiver died during is sent again to the
 * next one, as a provider retries. Stops once the poison event is dead (or after `RESTARTS` starts). Answers every
 * line every receiver printed, the last receiver, and the ordinary events acknowledged.
 */
async function superviseCrashLoop(storage: Storage, env: (start: number) => Record<string, string>) {
  const lines: string[] = [];
  const unsent = [POISON];
  const acknowledged: string[] = [];
  let child: Child | undefined;
  for (let start = 0; start < RESTARTS; start++) {
    child = startChild(env(start));
    const port = await child.port;
    unsent.push(`evt-ordinary-${start}`);
    for (const id of unsent.splice(0)) {
      const status = await postTo(port, tokenexBody({ id, tokenRef: `tok-${id}` })).catch(() => 0);
      if (status === 200) acknowledged.push(id);
      else unsent.push(id);
    }
    const current = child;
    let exited = false;
    void current.exited.then(() => { exited = true; });
    await eventually(async () => exited || (await storage.getEntry({ provider: 'tokenex', id: POISON }))?.status === 'dead',
      15_000, 'the receiver to die or the poison event to be dead');
    lines.push(...current.lines);
    if (!exited) break;
  }
  return { lines, last: child!, acknowledged };
}

function crashLoopSuite(name: string, makeStorage: () => Storage, env: (start: number) => Record<string, string>): void {
  it(`${name}: a handler that kills its process for one event runs maxAttempts times, then the event is dead and never runs again`, async function () {
    this.timeout(120_000);
    const storage = makeStorage();
    // The operator's view of the same ledger: no worker (not mounted), closed (with the storage) at the end.
    const reader = createTokenWebhooks({ storage, mode: 'inbox', pruneIntervalMs: false, inbox: { pollIntervalMs: false } });
    const { lines, last, acknowledged } = await superviseCrashLoop(storage, env);
    try {
      const poisonRuns = lines.filter((line) => line.startsWith('poison '));
      assert.deepEqual(poisonRuns, Array.from({ length: MAX_ATTEMPTS }, (_, i) => `poison ${i + 1}`), `the poison handler ran ${poisonRuns.length} times`);
      const entry = await storage.getEntry({ provider: 'tokenex', id: POISON });
      assert.equal(entry?.status, 'dead');
      assert.match(entry?.lastError ?? '', /leased 4 times, more than inbox.maxAttempts \(3\), without finishing/);
      // reported once the dead letter is stored, which this process may see first: the line may still be on its way
      await eventually(() => last.lines.includes(`error ERR_NTW_CRASH_LOOP ${POISON}`), 10_000, 'the crash loop reported to onError');

      // Still running, the last receiver runs new events, and never the poison one again.
      const port = await last.port;
      assert.equal(await postTo(port, tokenexBody({ id: 'evt-after', tokenRef: 'tok-after' })), 200);
      await eventually(() => last.lines.includes('ran evt-after'), 10_000, 'an event after the crash loop to run');
      assert.deepEqual((await reader.listDeadLetters()).map((e) => e.id), [POISON], lines.join(" | "));
      const ops = express().use(MOUNT, reader.console({ credentials: OPS }));
      const inbox = await request(ops).get(`${MOUNT}/inbox`).auth(OPS.username, OPS.password);
      assert.match(inbox.text, new RegExp(`<h2>Dead letters</h2>.*${POISON}.*leased 4 times.*<h2>Failing`, 's'), 'the console lists it');
      assert.ok(acknowledged.includes(POISON));
      await eventually(async () => {
        const done = await reader.listEvents({ status: 'done', limit: 1000 });
        return acknowledged.every((id) => id === POISON || done.some((e) => e.id === id));
      }, 10_000, 'every ordinary event acknowledged to be done');
      assert.equal(last.lines.filter((line) => line.startsWith('poison ')).length, 0);
    } finally {
      await stop(last);
      await reader.close();
    }
  });
}

describe('delivery: a poison event that kills the process (crash loop)', function () {
  describe('SQLite', function () {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-crash-loop-'));
    const path = join(dir, 'ledger.db');
    after(() => rmSync(dir, { recursive: true, force: true }));
    // Each restart's storage clock is 31 s ahead of the previous one's: the dead process's 30 s leases have expired.
    crashLoopSuite('SQLite', () => new SqliteStorage({ path, now: () => Date.now() + RESTARTS * 31_000 }),
      (start) => ({ STORAGE: 'sqlite', SQLITE_PATH: path, CLOCK_OFFSET_MS: String(start * 31_000) }));
  });
  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schema = uniqueName('ntw_crash_loop_');
    after(() => dropSchema(schema).catch(() => undefined));
    // A short lease, so that each restart soon finds the dead process's lease expired.
    crashLoopSuite('PostgreSQL', () => new PostgresStorage({ connectionString: DATABASE_URL, schema }),
      () => ({ STORAGE: 'postgres', DATABASE_URL, DATABASE_SCHEMA: schema, LEASE_MS: '1500', STORAGE_TIMEOUT_MS: '500' }));
  });
});
