/**
 * An inbox receiver in its own process for the crash-loop test. Its handler kills its own process (SIGKILL, as an
 * OOM kill or a native crash would) for the event `POISON`, 200 ms into its run, and completes every other one.
 * Not at once: an event leased beside the poison one would have its completion killed in the same turn, before it
 * reached the storage, each time, and become a dead letter too (its handlers having run each time); that is the
 * collateral of any crash, not what this test is about. Environment:
 * STORAGE=sqlite (SQLITE_PATH, and CLOCK_OFFSET_MS added to the storage's clock, so that a restart finds the
 * dead process's leases expired without waiting) or STORAGE=postgres (DATABASE_URL, DATABASE_SCHEMA); LEASE_MS,
 * STORAGE_TIMEOUT_MS, MAX_ATTEMPTS. Prints `listening <port>`, `poison <attempt>` before it dies, `ran <id>`,
 * and `error <code> <event id>` for each report to onError.
 */
import express from 'express';
import { createTokenWebhooks } from '../../lib';
import type { Storage } from '../../lib';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { storageFromEnv } from '../../examples/storage-from-env';
import { BEARER } from '../helpers/app';

function storage(): Storage {
  if (process.env.STORAGE !== 'sqlite') return storageFromEnv().storage;
  const offset = Number(process.env.CLOCK_OFFSET_MS ?? 0);
  return new SqliteStorage({ path: process.env.SQLITE_PATH!, now: () => Date.now() + offset });
}

/** Only when run as a process: `mocha test/delivery` loads this file too and must not start a receiver. */
function main(): void {
  const webhooks = createTokenWebhooks({
    storage: storage(),
    mode: 'inbox',
    leaseMs: Number(process.env.LEASE_MS ?? 30_000),
    storageTimeoutMs: Number(process.env.STORAGE_TIMEOUT_MS ?? 5000),
    pruneIntervalMs: false,
    inbox: { pollIntervalMs: 20, maxAttempts: Number(process.env.MAX_ATTEMPTS ?? 3) },
  });
  webhooks.onEvent((event, context) => {
    if (event.id === process.env.POISON) {
      process.stdout.write(`poison ${context.attempt}\n`, () => setTimeout(() => process.kill(process.pid, 'SIGKILL'), 200));
      return new Promise(() => undefined);
    }
    process.stdout.write(`ran ${event.id}\n`);
    return undefined;
  });
  webhooks.onError((error, context) => {
    process.stdout.write(`error ${(error as { code?: string }).code ?? 'none'} ${context.eventId ?? ''}\n`);
  });
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  const server = app.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
  });
}

if (require.main === module) main();
