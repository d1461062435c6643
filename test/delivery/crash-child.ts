/**
 * A receiver in its own process for the kill -9 test: STORAGE=postgres|redis (see examples/storage-from-env.ts),
 * LEASE_MS, STORAGE_TIMEOUT_MS, MODE=sync|inbox. Its handler announces `entered <id>` and never returns, so the parent
 * can SIGKILL it between claim and completion. Prints `listening <port>` when ready.
 */
import express from 'express';
import { createTokenWebhooks } from '../../lib';
import { storageFromEnv } from '../../examples/storage-from-env';
import { BEARER } from '../helpers/app';

/** Only when run as a process: `mocha test/delivery` loads this file too and must not start a receiver. */
function main(): void {
  const { storage } = storageFromEnv();
  const webhooks = createTokenWebhooks({
    storage,
    leaseMs: Number(process.env.LEASE_MS ?? 1500),
    storageTimeoutMs: Number(process.env.STORAGE_TIMEOUT_MS ?? 500),
    mode: process.env.MODE === 'inbox' ? 'inbox' : 'sync',
    pruneIntervalMs: false,
    inbox: { pollIntervalMs: 20 },
  });
  webhooks.onEvent(async (event) => {
    process.stdout.write(`entered ${event.id}\n`);
    await new Promise(() => undefined);
  });
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  void webhooks.ready().then(() => {
    const server = app.listen(0, '127.0.0.1', () => {
      process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
    });
  });
}

if (require.main === module) main();
