/**
 * One receiver process of the soak (bench/soak.ts). Env: PORT, STORAGE/DATABASE_URL/DATABASE_SCHEMA/REDIS_URL/REDIS_KEY_PREFIX
 * (STORAGE=postgres|redis), LEASE_MS, STORAGE_TIMEOUT_MS, MODE, FAIL_RATE (share of handler runs that throw), RELEASE_DIR (an
 * earlier release's build to run instead), CLOCK_OFFSET_MS (this instance's clock that far off), OUT (file of completions),
 * UNSETTLED (file of completions that could not be stored).
 * A handler run that completes appends `<event id>` to OUT, synchronously, as its last step; a kill -9 keeps what was appended.
 * When storing a completed run fails (onError: a StorageError of `settle` after the handlers completed; in inbox mode,
 * a `settleMany` call that fails or answers the entry as not recorded), `<event id>` is appended to UNSETTLED, once per
 * such run: the documented window in which the handlers may run again.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { Storage } from '../lib';

// RELEASE_DIR: run an earlier release instead (its build, from test/upgrade/releases.ts), for the rolling deploy.
const lib = process.env.RELEASE_DIR ? join(process.env.RELEASE_DIR, 'dist', 'lib') : join(__dirname, '..', 'lib');
/* eslint-disable @typescript-eslint/no-require-imports */
const { StorageError, createTokenWebhooks } = require(lib) as typeof import('../lib');
const { PostgresStorage } = require(join(lib, 'storage', 'postgres')) as typeof import('../lib/storage/postgres');
const { RedisStorage } = require(join(lib, 'storage', 'redis')) as typeof import('../lib/storage/redis');
/* eslint-enable @typescript-eslint/no-require-imports */
/** CLOCK_OFFSET_MS: this instance's own clock is that far off. */
const clockOffsetMs = Number(process.env.CLOCK_OFFSET_MS ?? 0);

const BEARER = process.env.BEARER ?? 'soak-bearer-0123456789abcdef';
const failRate = Number(process.env.FAIL_RATE ?? 0);
const out = process.env.OUT ?? '/dev/null';
const unsettled = process.env.UNSETTLED ?? '/dev/null';
/** Completions per event in this process, and the completion count already recorded as not stored. */
const completed = new Map<string, number>();
const recordedUnsettled = new Map<string, number>();

// 14 connections each: the server (max_connections 100 by default) must hold the three pools, the sessions the silent
// phase leaves behind there (the server never learns that those clients went away), and a restarted instance's.
// Each adapter bounds its own calls under storageTimeoutMs, as the defaults do (4000 under 5000).
const storageTimeoutMs = Number(process.env.STORAGE_TIMEOUT_MS ?? 5000);
const timeoutMs = Math.floor(storageTimeoutMs * 0.8);
const storage: Storage = process.env.STORAGE === 'redis'
  ? new RedisStorage({ url: process.env.REDIS_URL, keyPrefix: process.env.REDIS_KEY_PREFIX, timeoutMs })
  : new PostgresStorage({ connectionString: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA, poolConfig: { max: 14 }, timeoutMs });
const webhooks = createTokenWebhooks({
  storage,
  leaseMs: Number(process.env.LEASE_MS ?? 15_000),
  storageTimeoutMs,
  ...(clockOffsetMs ? { now: () => new Date(Date.now() + clockOffsetMs) } : {}),
  mode: process.env.MODE === 'inbox' ? 'inbox' : 'sync',
  pruneIntervalMs: false,
  inbox: { pollIntervalMs: 100, backoffBaseMs: 100, backoffMaxMs: 1000, maxAttempts: 20, concurrency: 16 },
});
webhooks.onEvent(async (event) => {
  await new Promise((resolve) => setTimeout(resolve, Math.random() * 4)); // some work, so a kill lands mid-handler
  if (Math.random() < failRate) throw new Error('injected failure');
  appendFileSync(out, `${event.id}\n`);
  completed.set(event.id, (completed.get(event.id) ?? 0) + 1);
});
/** Note that the completed run of `eventId` was not stored, once per run (a failed run's settle is not one). */
function notStored(eventId: string): void {
  const runs = completed.get(eventId) ?? 0;
  if (runs === 0 || recordedUnsettled.get(eventId) === runs) return;
  recordedUnsettled.set(eventId, runs);
  appendFileSync(unsettled, `${eventId}\n`);
}
webhooks.onError((error, context) => {
  if (error instanceof StorageError && error.operation === 'settle' && context.eventId !== undefined) notStored(context.eventId);
});
// The inbox worker stores its completions in batches (settleMany), whose failure is reported once for the batch,
// without the events: they are read here, from the call itself (thrown, or an entry answered as not recorded).
const settleMany = storage.settleMany?.bind(storage);
if (settleMany) {
  storage.settleMany = async (settlements) => {
    const done = settlements.filter((s) => s.settlement.status === 'done');
    try {
      const recorded = await settleMany(settlements);
      settlements.forEach((s, i) => { if (s.settlement.status === 'done' && recorded[i] !== true) notStored(s.key.id); });
      return recorded;
    } catch (error) {
      for (const s of done) notStored(s.key.id);
      throw error;
    }
  };
}

const app = express();
app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
void webhooks.ready().then(() => {
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
  });
  server.keepAliveTimeout = 30_000;
  process.on('SIGTERM', () => {
    server.close();
    void webhooks.close().then(() => process.exit(0));
  });
});
