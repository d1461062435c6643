/**
 * The rows of `npm run bench`, in the order they run within a round: baselines first (what a webhook receiver
 * costs without this library), then this library on each provider and store, then duplicate-only traffic.
 */
import type { TrafficKind } from './payloads';
import type { StoreKind } from './services';

export interface Row {
  /** Stable id: BENCH_ROWS filter, JSON results. */
  readonly id: string;
  readonly label: string;
  readonly group: 'baseline' | 'hand-written' | 'ours' | 'duplicates';
  /** The server under test, relative to bench/. */
  readonly server: string;
  readonly traffic: TrafficKind;
  readonly store?: StoreKind;
  readonly mode?: 'sync' | 'inbox';
  /** Every request is the same event, after a first delivery. */
  readonly duplicates?: boolean;
  /** An OpenTelemetry SDK is installed and records every span and metric (exported nowhere). */
  readonly telemetry?: boolean;
  /** The endpoint on a plain `node:http` server rather than in an Express app. */
  readonly withoutExpress?: boolean;
  /** The hand-written row this one is compared with (same guarantees, written by hand). */
  readonly handWritten?: string;
}

/** Rows the ratios are taken against. */
export const REF = {
  /** Row 2: the floor inside Express. */
  expressFloor: 'express',
  /** Row 3: what users hand-write. */
  expressJson: 'express-json',
  /** Storage rows are compared with this one. */
  oursMemory: 'cybersource-memory',
} as const;

const ours = (id: string, label: string, traffic: 'cybersource' | 'tokenex' | 'ni', store: StoreKind, extra: Partial<Row> = {}): Row => ({
  id, label, group: 'ours', server: 'servers/ours.ts', traffic, store, mode: 'sync', ...extra,
});

export const ROWS: readonly Row[] = [
  { id: 'node-http', label: 'node:http, read + JSON.parse (floor)', group: 'baseline', server: 'servers/node-http.ts', traffic: 'cybersource' },
  { id: 'express', label: 'Express, read + JSON.parse (floor)', group: 'baseline', server: 'servers/express-raw.ts', traffic: 'cybersource' },
  { id: 'express-json', label: 'Express + express.json()', group: 'baseline', server: 'servers/express-json.ts', traffic: 'cybersource' },
  { id: 'hand-memory', label: 'hand-written: HMAC, ajv, Map dedupe', group: 'hand-written', server: 'servers/hand-written.ts', traffic: 'cybersource', store: 'memory' },
  { id: 'hand-postgres', label: 'hand-written: HMAC, ajv, PostgreSQL', group: 'hand-written', server: 'servers/hand-written.ts', traffic: 'cybersource', store: 'postgres' },
  { id: 'octokit', label: '@octokit/webhooks, HMAC verified', group: 'baseline', server: 'servers/octokit.ts', traffic: 'octokit' },
  ours('cybersource-memory', 'ours: Cybersource, memory', 'cybersource', 'memory', { handWritten: 'hand-memory' }),
  ours('tokenex-memory', 'ours: TokenEx, memory', 'tokenex', 'memory'),
  ours('ni-memory', 'ours: NI, memory', 'ni', 'memory'),
  ours('cybersource-sqlite', 'ours: Cybersource, SQLite file', 'cybersource', 'sqlite'),
  ours('cybersource-postgres', 'ours: Cybersource, PostgreSQL', 'cybersource', 'postgres', { handWritten: 'hand-postgres' }),
  ours('cybersource-redis', 'ours: Cybersource, Redis', 'cybersource', 'redis'),
  ours('cybersource-postgres-inbox', 'ours: Cybersource, PostgreSQL, inbox', 'cybersource', 'postgres', { mode: 'inbox' }),
  ours('cybersource-memory-node', 'ours: Cybersource, memory, on node:http (no Express)', 'cybersource', 'memory', { withoutExpress: true }),
  ours('cybersource-memory-otel', 'ours: Cybersource, memory, OpenTelemetry SDK recording', 'cybersource', 'memory', { telemetry: true }),
  ours('cybersource-duplicates', 'ours: duplicates only (Cybersource, memory)', 'cybersource', 'memory', { group: 'duplicates', duplicates: true }),
];

/**
 * The rows BENCH_ROWS selects: each comma-separated part picks the row with exactly that id, or else every
 * row whose id contains it (`memory`, `postgres`, `cybersource`). All rows when empty.
 */
export function selectRows(filters: readonly string[]): Row[] {
  if (!filters.length) return [...ROWS];
  const picked = new Set<string>();
  for (const filter of filters) {
    const exact = ROWS.find((row) => row.id === filter);
    for (const row of exact ? [exact] : ROWS.filter((r) => r.id.includes(filter))) picked.add(row.id);
  }
  if (!picked.size) throw new Error(`BENCH_ROWS=${filters.join(',')} selects no row; rows: ${ROWS.map((r) => r.id).join(', ')}`);
  return ROWS.filter((row) => picked.has(row.id));
}
