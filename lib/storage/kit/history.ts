import type { Attempt, Entry, EntryCopy, EntryHistory, RefusalMinute, Settlement } from '../storage';
import { HISTORY_MAX } from '../storage';

/**
 * An entry's history (`Storage.getHistory`) as the adapters keep it: two bounded lists, each item appended where the
 * transition that makes it is stored, in the same atomic step. The SQL and Redis adapters keep each list as a JSON
 * array (times in epoch ms), `HistoryJson`, beside the entry, so that pruning the entry prunes its history.
 */

/** An attempt as a JSON array item: `{ "at": 1767225600000, "attempt": 2, "outcome": "failed", "error": "…" }`. */
export interface AttemptJson {
  readonly at: number;
  readonly attempt: number;
  readonly outcome: Attempt['outcome'];
  readonly error?: string;
}

/** A copy as a JSON array item: `{ "at": 1767225600000, "fingerprint": "…" }`. */
export interface CopyJson {
  readonly at: number;
  readonly fingerprint: string;
}

/** `list` with `item` appended, the oldest dropped past `HISTORY_MAX`. */
export function appendBounded<T>(list: readonly T[] | undefined, item: T): T[] {
  const next = list?.length ? [...list, item] : [item];
  return next.length > HISTORY_MAX ? next.slice(next.length - HISTORY_MAX) : next;
}

/** Rule: what a recorded settlement adds to the attempt log of `entry` (as it was when settled), at `now`. */
export function settledAttempt(entry: Entry, settlement: Settlement, now: number): Attempt {
  return settlement.status === 'done'
    ? { at: new Date(now), attempt: entry.attempts, outcome: 'done' }
    : { at: new Date(now), attempt: entry.attempts, outcome: settlement.status, error: settlement.error };
}

/** Rule: what `requeue` adds to the attempt log of `entry` (as it was before), at `now`: the runs it had, then a replay. */
export function requeuedAttempt(entry: Entry, now: number): Attempt {
  return { at: new Date(now), attempt: entry.attempts, outcome: 'requeued' };
}

/** A JSON array as stored (text, an array already parsed, or nothing), as a list: anything else reads as empty. */
function arrayOf(stored: unknown): unknown[] {
  const value = typeof stored === 'string' && stored !== '' ? JSON.parse(stored) as unknown : stored;
  return Array.isArray(value) ? value : [];
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An entry's history from its two stored JSON arrays (text or parsed; `null` or `''` when none). */
export function historyFromJson(attempts: unknown, copies: unknown): EntryHistory {
  return {
    attempts: arrayOf(attempts).filter(isObject).map((a): Attempt => ({
      at: new Date(Number(a.at)), attempt: Number(a.attempt), outcome: String(a.outcome) as Attempt['outcome'],
      ...(typeof a.error === 'string' ? { error: a.error } : {}),
    })),
    copies: arrayOf(copies).filter(isObject).map((c): EntryCopy => ({ at: new Date(Number(c.at)), fingerprint: String(c.fingerprint) })),
  };
}

export const NO_HISTORY: EntryHistory = Object.freeze({ attempts: Object.freeze([]), copies: Object.freeze([]) });

/** The minute (its start, epoch ms) a time falls in. */
export const minuteOf = (at: Date): number => at.getTime() - (at.getTime() % 60_000);

/** Refusal counts added together by minute, provider, status and code (`last` the latest), in the order first seen. */
export function mergeRefusals(counts: Iterable<RefusalMinute>): RefusalMinute[] {
  const merged = new Map<string, RefusalMinute>();
  for (const c of counts) {
    const key = `${c.minute.getTime()}\u0000${c.provider}\u0000${c.status}\u0000${c.code}`;
    const seen = merged.get(key);
    merged.set(key, seen ? { ...seen, count: seen.count + c.count, last: seen.last > c.last ? seen.last : c.last } : c);
  }
  return [...merged.values()];
}
