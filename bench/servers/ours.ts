/**
 * Rows "ours": this library in an Express app (or on a plain node:http server), one provider's endpoint on one storage, a no-op handler
 * counting the events it sees. Everything else at its defaults (cache, retention, pool sizes, SQLite's
 * `synchronous: 'full'`). Env:
 *   BENCH_PROVIDER  cybersource (signature) | tokenex | ni (bearer)
 *   BENCH_STORAGE   memory | sqlite | postgres | redis, with their settings (bench/servers/storage.ts)
 *   BENCH_MODE      sync | inbox
 *   BENCH_TELEMETRY sdk: an OpenTelemetry SDK records every span and metric (exported nowhere); else the API's no-op
 *   BENCH_HTTP      node: the endpoint on a plain node:http server (docs/mounting.md, "Without Express"); else in an Express app
 */
import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import express from 'express';
import { library } from '../library';
import { PATH, SECRETS } from '../config';
import { serve } from './serve';
import { storageFrom } from './storage';
import { installTelemetry } from './telemetry';

const { createTokenWebhooks } = library<typeof import('../../lib')>('index');

async function main(): Promise<void> {
  if (process.env.BENCH_TELEMETRY === 'sdk') installTelemetry();
  const webhooks = createTokenWebhooks({ storage: storageFrom(process.env), mode: process.env.BENCH_MODE === 'inbox' ? 'inbox' : 'sync' });
  let handled = 0;
  let errors = 0;
  webhooks.onEvent(() => { handled++; });
  webhooks.onError((error) => {
    if (errors++ < 5) console.error(`server: ${(error as Error).message}`);
  });
  const endpoint = (() => {
    switch (process.env.BENCH_PROVIDER ?? 'cybersource') {
      case 'cybersource': return webhooks.cybersource({ keys: { [SECRETS.cybersourceKeyId]: SECRETS.cybersourceKey } });
      case 'tokenex': return webhooks.tokenex({ auth: { bearer: SECRETS.bearer } });
      case 'ni': return webhooks.ni({ auth: { bearer: SECRETS.bearer } });
      default: throw new Error(`unknown BENCH_PROVIDER ${process.env.BENCH_PROVIDER}`);
    }
  })();
  const listener: RequestListener = process.env.BENCH_HTTP === 'node'
    ? (req, res) => endpoint(req, res, () => { res.statusCode = 500; res.end(); })
    : express().use(PATH, endpoint);
  await webhooks.ready();
  serve(createServer(listener), { handled: () => handled, close: () => webhooks.close() });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
