/**
 * From rounds to the report: the median round of each row, its ratios to the reference rows, the machine it
 * ran on, and the printed table.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Measurement } from './measure';
import { REF } from './rows';
import type { Row } from './rows';

export interface Ratios {
  /** req/s over row 2's (Express floor). */
  readonly toExpressFloor?: number;
  /** req/s over row 3's (express.json()). */
  readonly toExpressJson?: number;
  /** Storage rows: req/s over "ours: Cybersource, memory". */
  readonly toOursMemory?: number;
  /** Duplicate-only row: req/s over new events on the same provider and store. */
  readonly toNewEvents?: number;
  /** Rows with a hand-written counterpart: req/s over that row's. */
  readonly toHandWritten?: number;
}

/** One round's measurement of a row, with the round it ran in (absent in results written before 2026-11-25 03:00). */
export interface RoundMeasurement extends Measurement {
  readonly round?: number;
}

export interface RowResult {
  readonly id: string;
  readonly label: string;
  readonly group: Row['group'];
  /** Why the row did not run (a service unreachable) or failed. */
  readonly skipped?: string;
  readonly rounds: readonly RoundMeasurement[];
  /** The round with the median req/s (the upper middle one for an even count). */
  readonly median?: Measurement;
  /**
   * CPU time per answer, µs: the median over the rounds of the server's, and of the store's processes'. Less
   * moved than req/s by a machine whose speed varies from minute to minute, and it shows which process the row spends.
   */
  readonly cpu?: { readonly server?: number; readonly store?: number };
  readonly ratios: Ratios;
}

export interface Machine {
  readonly cores: number;
  readonly model: string;
  readonly memoryMb: number;
  readonly node: string;
  readonly platform: string;
  readonly loadAverage: readonly number[];
}

export function machine(): Machine {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? model;
  } catch { /* not Linux */ }
  return {
    cores: cpus().length, model, memoryMb: Math.round(totalmem() / 2 ** 20), node: process.version,
    platform: `${process.platform} ${process.arch}`, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The middle item by `value` (the upper middle one for an even count); `undefined` when there is none. */
const middleBy = <T>(items: readonly T[], value: (item: T) => number): T | undefined =>
  [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)];

export function medianRound<M extends Measurement>(rounds: readonly M[]): M | undefined {
  return middleBy(rounds, (m) => m.reqPerSec);
}

/**
 * A row's req/s over a reference row's: the median of their ratios round by round. The rows of one round run
 * within minutes of each other, so a machine that drifts between rounds moves both alike, which the ratio of the
 * two medians (each from its own round) does not cancel. Rounds pair by number (by position in older results).
 */
/** The median of a figure over the rounds that have it. */
function medianOf(rounds: readonly RoundMeasurement[], figure: (m: RoundMeasurement) => number | undefined): number | undefined {
  const values = rounds.flatMap((m) => { const value = figure(m); return value === undefined ? [] : [value]; });
  return middleBy(values, (v) => v);
}

export function pairedRatio(row: readonly RoundMeasurement[], ref: readonly RoundMeasurement[]): number | undefined {
  const refByRound = new Map(ref.map((m, i) => [m.round ?? i + 1, m.reqPerSec]));
  const ratios = row.flatMap((m, i) => {
    const against = refByRound.get(m.round ?? i + 1);
    return against ? [m.reqPerSec / against] : [];
  });
  return middleBy(ratios, (r) => r);
}

export function summarize(rows: readonly Row[], rounds: ReadonlyMap<string, readonly RoundMeasurement[]>, skipped: ReadonlyMap<string, string>): RowResult[] {
  const medians = new Map(rows.map((row) => [row.id, medianRound(rounds.get(row.id) ?? [])]));
  const ratio = (id: string, ref: string) => pairedRatio(rounds.get(id) ?? [], rounds.get(ref) ?? []);
  return rows.map((row) => {
    const ratios: Ratios = {
      toExpressFloor: ratio(row.id, REF.expressFloor),
      toExpressJson: ratio(row.id, REF.expressJson),
      ...(row.group === 'ours' && row.store && (row.store !== 'memory' || row.withoutExpress) ? { toOursMemory: ratio(row.id, REF.oursMemory) } : {}),
      ...(row.duplicates ? { toNewEvents: ratio(row.id, REF.oursMemory) } : {}),
      ...(row.handWritten ? { toHandWritten: ratio(row.id, row.handWritten) } : {}),
    };
    const median = medians.get(row.id);
    const server = medianOf(rounds.get(row.id) ?? [], (m) => m.serverCpuPerRequest);
    const store = medianOf(rounds.get(row.id) ?? [], (m) => m.storeCpuPerRequest);
    return {
      id: row.id, label: row.label, group: row.group, rounds: rounds.get(row.id) ?? [], ratios,
      ...(skipped.has(row.id) ? { skipped: skipped.get(row.id)! } : {}),
      ...(median ? { median } : {}),
      ...(server !== undefined || store !== undefined ? { cpu: { ...(server !== undefined ? { server } : {}), ...(store !== undefined ? { store } : {}) } } : {}),
    };
  });
}

const fixed = (value: number | undefined, digits: number) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits));
const times = (value: number | undefined) => (value === undefined ? '–' : `${value.toFixed(2)}×`);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** The one printed table: a row per benchmark row, skipped ones saying why. */
export function table(results: readonly RowResult[]): string {
  const header = ['#', 'row', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'store µs/req', 'peak RSS MB', 'non-2xx', 'errors', '× Express floor', '× express.json()', '× ours on memory'];
  const lines: string[][] = [header];
  results.forEach((r, i) => {
    const m = r.median;
    if (!m) {
      lines.push([String(i + 1), r.label, `skipped: ${r.skipped ?? 'no result'}`]);
      return;
    }
    const vsOurs = r.ratios.toNewEvents !== undefined ? `${times(r.ratios.toNewEvents)} (vs new events)` : times(r.ratios.toOursMemory);
    lines.push([
      String(i + 1), r.label, Math.round(m.reqPerSec).toLocaleString('en-US'), fixed(m.p50, 2), fixed(m.p99, 2), fixed(r.cpu?.server, 0),
      fixed(r.cpu?.store, 0), mb(m.peakRss),
      String(m.non2xx), String(m.errors + m.timeouts), times(r.ratios.toExpressFloor), times(r.ratios.toExpressJson), r.ratios.toOursMemory === undefined && r.ratios.toNewEvents === undefined ? '' : vsOurs,
    ]);
  });
  const widths = header.map((_, c) => Math.max(...lines.filter((l) => l.length === header.length || c < 2).map((l) => (l[c] ?? '').length)));
  const left = new Set([1]);
  return lines.map((l) => (l.length === header.length
    ? l.map((cell, c) => (left.has(c) ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')
    : `${l[0]!.padStart(widths[0]!)}  ${l[1]!.padEnd(widths[1]!)}  ${l[2]}`)).join('\n');
}

/**
 * Ours against what users hand-write for the same guarantees: req/s ratio (the median of the round-by-round
 * ratios) and both p99s, one line per row that has a hand-written counterpart.
 */
export function handWrittenTable(rows: readonly Row[], results: readonly RowResult[]): string {
  const byId = new Map(results.map((r) => [r.id, r]));
  const lines: string[] = [];
  for (const row of rows) {
    if (!row.handWritten) continue;
    const ours = byId.get(row.id)?.median;
    const hand = byId.get(row.handWritten)?.median;
    if (!ours || !hand) continue;
    const [oursCpu, handCpu] = [byId.get(row.id)!.cpu, byId.get(row.handWritten)!.cpu];
    const store = oursCpu?.store !== undefined || handCpu?.store !== undefined ? `; store CPU ${fixed(oursCpu?.store, 0)} vs ${fixed(handCpu?.store, 0)} µs/req` : '';
    lines.push(`${row.label} / ${byId.get(row.handWritten)!.label}: ${times(byId.get(row.id)!.ratios.toHandWritten)} req/s; `
      + `p99 ${fixed(ours.p99, 2)} ms vs ${fixed(hand.p99, 2)} ms; server CPU ${fixed(oursCpu?.server, 0)} vs ${fixed(handCpu?.server, 0)} µs/req${store}`);
  }
  return lines.join('\n');
}

export function describeMachine(m: Machine): string {
  return `machine: ${m.cores} cores, ${m.model}, ${m.memoryMb.toLocaleString('en-US')} MB, ${m.platform}; Node ${m.node}; load average ${m.loadAverage.join(' ')}`;
}
