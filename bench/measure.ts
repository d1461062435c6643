/**
 * One measurement: start the row's server in its own process (on a store the caller prepared), warm it up,
 * load it, read its memory figures, stop it.
 */
import { request } from 'node:http';
import { PATH, settings } from './config';
import { runLoad } from './load';
import type { LoadResult } from './load';
import { runTag, traffic } from './payloads';
import type { BenchRequest } from './payloads';
import type { Row } from './rows';
import { startServer } from './server-process';
import { storeCpu, storeCpuSpent } from './process-cpu';

export interface Measurement extends LoadResult {
  /** Peak resident set of the server process over its life (warm-up included), bytes. */
  readonly peakRss: number;
  readonly heapUsed: number;
  /** Events its handlers ran for (warm-up included), when it counts them. */
  readonly handled?: number;
  /** 2xx answers over its life (first delivery and warm-up included), to compare with `handled`. */
  readonly answered2xx: number;
  /** CPU time of the server process per answer of the measured load, µs (absent in results written before 2026-12-07). */
  readonly serverCpuPerRequest?: number;
  /** CPU time of the store's processes (PostgreSQL, Redis) per answer of the measured load, µs; storage rows on Linux only. */
  readonly storeCpuPerRequest?: number;
  /** What the server wrote to stderr, when anything. */
  readonly serverErrors?: string;
}

/** One plain POST, for the first delivery of the duplicate-only row. */
function post(port: number, req: BenchRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path: PATH, method: 'POST', headers: { ...req.headers, 'content-length': Buffer.byteLength(req.body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    r.setTimeout(10_000, () => r.destroy(new Error('first delivery: no answer within 10 s')));
    r.on('error', reject);
    r.end(req.body);
  });
}

const ok2xx = (r: LoadResult) => Object.entries(r.statusCodes).reduce((n, [code, count]) => n + (code.startsWith('2') ? count : 0), 0);

export async function measure(row: Row, env: Record<string, string>, seconds = settings.seconds): Promise<Measurement> {
  const server = await startServer(row.server, row.store ? { ...env, BENCH_PROVIDER: row.traffic, BENCH_MODE: row.mode ?? 'sync', BENCH_TELEMETRY: row.telemetry ? 'sdk' : '', BENCH_HTTP: row.withoutExpress ? 'node' : 'express' } : env);
  try {
    const requests = traffic(row.traffic, runTag());
    let n = 0;
    const next = row.duplicates ? () => 0 : () => n++;
    let answered2xx = 0;
    if (row.duplicates) {
      const status = await post(server.port, requests(0));
      if (status !== 200) throw new Error(`${row.id}: the first delivery was answered ${status}\n${server.stderr()}`);
      answered2xx++;
    }
    const base = { connections: settings.connections, maxRequests: settings.maxRequests, next };
    const warmup = await runLoad(server.port, requests, { ...base, seconds: settings.warmupSeconds });
    const [cpuBefore, storeBefore] = [(await server.stats()).cpuMicros, storeCpu(row.store)];
    const result = await runLoad(server.port, requests, { ...base, seconds });
    const storeAfter = storeCpu(row.store);
    answered2xx += ok2xx(warmup) + ok2xx(result);
    const stats = await server.stats();
    const serverErrors = server.stderr();
    const perRequest = (micros: number) => (result.requests > 0 ? micros / result.requests : undefined);
    const serverCpuPerRequest = perRequest(stats.cpuMicros - cpuBefore);
    const storeCpuPerRequest = storeBefore && storeAfter ? perRequest(storeCpuSpent(storeBefore, storeAfter)) : undefined;
    return {
      ...result, peakRss: stats.peakRss, heapUsed: stats.heapUsed, answered2xx,
      ...(serverCpuPerRequest !== undefined ? { serverCpuPerRequest } : {}),
      ...(storeCpuPerRequest !== undefined ? { storeCpuPerRequest } : {}),
      ...(stats.handled !== undefined ? { handled: stats.handled } : {}),
      ...(serverErrors ? { serverErrors } : {}),
    };
  } finally {
    await server.stop();
  }
}
