/**
 * The load: autocannon (programmatic API) in this process against one server under test over loopback,
 * keep-alive, N connections, each request built by `setupRequest` (a new event, or the same one, with its
 * credentials computed then). Bounded in time (duration, plus a watchdog) and in count (`maxOverallRequests`).
 */
import autocannon from 'autocannon';
import { PATH } from './config';
import type { Traffic } from './payloads';

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  readonly maxRequests: number;
  /** The event of the next request: a counter for new events, a constant for duplicates. */
  readonly next: () => number;
}

export interface LoadResult {
  readonly seconds: number;
  /** Answers received. */
  readonly requests: number;
  readonly reqPerSec: number;
  /** Latency percentiles of every answer, ms (exact, not histogram buckets). */
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly statusCodes: Record<string, number>;
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : Number.NaN;

export function runLoad(port: number, traffic: Traffic, options: LoadOptions): Promise<LoadResult> {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon({
      url: `http://127.0.0.1:${port}${PATH}`,
      method: 'POST',
      connections: options.connections,
      pipelining: 1,
      duration: options.seconds,
      maxOverallRequests: options.maxRequests,
      timeout: 10,
      requests: [{
        setupRequest: (request) => {
          const { body, headers } = traffic(options.next());
          return { ...request, method: 'POST', path: PATH, body, headers };
        },
      }],
    }, (error, result) => {
      clearTimeout(watchdog);
      if (error) return reject(error);
      const sorted = latencies.subarray(0, count).sort();
      const statusCodes: Record<string, number> = {};
      for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat?.count ?? 0;
      const seconds = result.duration || options.seconds;
      resolve({
        seconds,
        requests: result.requests.total,
        reqPerSec: result.requests.total / seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodes,
      });
    });
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTime;
    });
    // autocannon stops itself at `duration`; this only guards against a server that stops answering.
    const watchdog = setTimeout(() => instance.stop(), (options.seconds + 15) * 1000);
  });
}
