/**
 * Settings shared by the benchmarks (`npm run bench`, `bench:memory`, `bench:growth`), read once from the
 * environment, and the secrets the servers under test and the load generator agree on.
 */
import { join } from 'node:path';

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return value;
};

export const ROOT = join(__dirname, '..');
export const RESULTS_DIR = join(__dirname, 'results');

export const settings = {
  /** Measured seconds per row and round. */
  seconds: num('BENCH_SECONDS', 5),
  /** Rounds: every row runs once per round, rows alternating, so drift hits all alike. */
  rounds: Math.round(num('BENCH_ROUNDS', 3)),
  /** Unmeasured load before each measurement (JIT, connection pools), in seconds. */
  warmupSeconds: num('BENCH_WARMUP_SECONDS', 1),
  /** Comma-separated row ids (or parts of them) to run; all when unset. */
  rows: (process.env.BENCH_ROWS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  connections: Math.round(num('BENCH_CONNECTIONS', 32)),
  /** Size of every request body, in bytes. */
  bodyBytes: Math.round(num('BENCH_BODY_BYTES', 1024)),
  /** Hard cap on requests per measurement, whatever the duration. */
  maxRequests: Math.round(num('BENCH_MAX_REQUESTS', 2_000_000)),
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** Secrets of the servers under test (loopback only, never real ones). */
export const SECRETS = {
  cybersourceKeyId: 'bench',
  /** base64 of 32 bytes, as Cybersource issues keys. */
  cybersourceKey: Buffer.alloc(32, 7).toString('base64'),
  bearer: 'bench-bearer-secret-0123456789',
  octokitSecret: 'bench-octokit-secret-0123456789',
};

/** The path every server under test answers on. */
export const PATH = '/webhooks/bench';
