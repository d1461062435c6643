import type { Admit, Entry, EntryRecord, Settlement, TokenStateRecord } from './storage';
import { changeOf, decideProjection } from './projection';

/**
 * The ledger's transitions, for the adapters that run them in JavaScript (memory, SQLite; SQLite settles in SQL). PostgreSQL
 * and Redis run the same rules in SQL and Lua: keep them in step with this file.
 */

export interface Held extends Entry {
  readonly owner?: string;
}

/** A `pending` or `failed` entry whose time has come, or a `running` one whose lease ran out. */
export function isDue(entry: Entry, now: number): boolean {
  return (entry.status === 'pending' || entry.status === 'failed' || entry.status === 'running') && entry.dueAt.getTime() <= now;
}

/** Whether `admit({ as: 'running' })` may take an existing entry: not done, not quarantined, not under a live lease. */
function takeable(entry: Entry, now: number): boolean {
  return entry.status === 'pending' || entry.status === 'failed' || entry.status === 'dead'
    || (entry.status === 'running' && entry.dueAt.getTime() <= now);
}

/** The entry leased to `owner`: one more attempt, its lease ending `leaseMs` from now. Apply its state with `project`. */
export function takenEntry(entry: Held, owner: string, leaseMs: number, now: number): Held {
  const { staleReason: _reason, projection: _projection, ...rest } = entry;
  return { ...rest, status: 'running', owner, attempts: entry.attempts + 1, dueAt: new Date(now + leaseMs) };
}

/** A taken entry's state applied to its token's current one: the entry with its outcome, and the token state to write. */
export function project(entry: Held, current: TokenStateRecord | undefined, now: number): { entry: Held; state?: TokenStateRecord } {
  const change = changeOf(entry);
  if (!change) return { entry };
  const decision = decideProjection(current, change);
  if (decision.outcome === 'stale') return { entry: { ...entry, projection: 'stale', staleReason: decision.staleReason } };
  return {
    entry: { ...entry, projection: decision.outcome },
    state: { provider: entry.provider, tokenRef: entry.tokenRef, ...decision.next, updatedAt: new Date(now) },
  };
}

export type AdmissionDecision =
  | { readonly admitted: true; readonly entry: Held; readonly write: Held; readonly taken: boolean }
  | { readonly admitted: false; readonly entry: Held; readonly conflict: boolean; readonly write?: Held };

/** What `admit` does with `record`, given the entry stored under its key. A `taken` entry still needs `project`. */
export function admissionOf(existing: Held | undefined, record: EntryRecord, admit: Admit, now: number): AdmissionDecision {
  if (!existing) {
    const base = { ...record, attempts: 0, conflicts: 0, dueAt: new Date(now) };
    const entry: Held = admit.as === 'running'
      ? { ...base, status: 'running', owner: admit.owner, attempts: 1, dueAt: new Date(now + admit.leaseMs) }
      : admit.as === 'pending' ? { ...base, status: 'pending' } : { ...base, status: 'quarantined', lastError: admit.error };
    return { admitted: true, entry, write: entry, taken: admit.as === 'running' };
  }
  if (existing.fingerprint !== record.fingerprint) {
    const entry: Held = { ...existing, conflicts: existing.conflicts + 1 };
    return { admitted: false, entry, conflict: true, write: entry };
  }
  if (admit.as === 'running' && takeable(existing, now)) {
    const entry = takenEntry(existing, admit.owner, admit.leaseMs, now);
    return { admitted: true, entry, write: entry, taken: true };
  }
  return { admitted: false, entry: existing, conflict: false };
}

export function settledEntry(entry: Held, settlement: Settlement, now: number): Held {
  const { owner: _owner, ...rest } = entry;
  switch (settlement.status) {
    case 'done':
      return { ...rest, status: 'done', dueAt: new Date(now) };
    case 'failed':
      return { ...rest, status: 'failed', dueAt: new Date(now + settlement.retryInMs), lastError: settlement.error };
    case 'dead':
      return { ...rest, status: 'dead', dueAt: new Date(now), lastError: settlement.error };
  }
}

/** A settlement is recorded for `done` whoever settles, and otherwise only by the holder of a live run. */
export function maySettle(entry: Held, owner: string, settlement: Settlement): boolean {
  return settlement.status === 'done' || (entry.status === 'running' && entry.owner === owner);
}
