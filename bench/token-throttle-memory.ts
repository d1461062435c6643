/**
 * `node --expose-gc --require tsx/cjs bench/token-throttle-memory.ts`: the memory the NI token endpoint's failure
 * throttle (default store) holds after many failed token requests, each with a new random client id and from a new
 * source address (a botnet, or a host trusting a spoofable X-Forwarded-For), called in this process without HTTP.
 * Prints heap used after a full collection, before and after. Measures only.
 *
 *   BENCH_THROTTLE_REQUESTS=200000  failed requests
 *   BENCH_THROTTLE_ID_BYTES=2048    length of each random client id, in characters
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { niTokenEndpoint } from '../lib';
import { throttleOf } from '../lib/auth/oauth-token-endpoint';

const REQUESTS = Number(process.env.BENCH_THROTTLE_REQUESTS ?? 200_000);
const ID_CHARS = Number(process.env.BENCH_THROTTLE_ID_BYTES ?? 2048);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

/** One token request through the endpoint, its body as a host parser leaves it; resolves the status answered. */
function ask(endpoint: ReturnType<typeof niTokenEndpoint>, address: string, clientId: string): Promise<number> {
  return new Promise((resolve) => {
    const req = {
      method: 'POST', headers: {}, ip: address, socket: { remoteAddress: address }, readableEnded: true,
      body: { grant_type: 'client_credentials', client_id: clientId, client_secret: 'a-wrong-secret-0123456789' },
    } as unknown as IncomingMessage;
    const res = {
      statusCode: 0, headersSent: false, setHeader: () => undefined,
      end(this: { statusCode: number }) { resolve(this.statusCode); },
    } as unknown as ServerResponse;
    endpoint(req, res);
  });
}

async function main(): Promise<void> {
  const endpoint = niTokenEndpoint({ clientId: 'ni', clientSecret: 'the-right-client-secret-0123' });
  const before = heapUsed();
  const statuses: Record<number, number> = {};
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const status = await ask(endpoint, address, randomBytes(ID_CHARS / 2).toString('hex'));
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const after = heapUsed();
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  console.log(`node ${process.version}: ${REQUESTS.toLocaleString('en-US')} failed token requests, random ${ID_CHARS}-character client ids, `
    + `one address each, in ${seconds.toFixed(1)} s; answers ${JSON.stringify(statuses)}`);
  console.log(`heap used after GC: before ${mb(before)}, after ${mb(after)} (${((after - before) / REQUESTS).toFixed(0)} bytes per request kept); `
    + `counts kept: ${throttleOf(endpoint)?.keptKeys.toLocaleString('en-US')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
