import type { Admit, Entry, EntryRecord, Settlement, TokenStateRecord } from '../storage';
import { changeOf, decideProjection } from './projection';

/**
 * The ledger's transitions as pure functions of an entry, a request and the store's clock (`now`, epoch ms): an
 * adapter that can run JavaScript inside its atomic step (memory, SQLite) reads the entry, calls them and writes
 * what they answer. PostgreSQL and Redis run the same rules in SQL and Lua (they call `admittedEntry` only), and
 * the conformance suite holds all four to them. None of them reads a clock or allocates more than the entry it answers.
 */

/** An entry as an adapter holds it: with the owner of its lease while it is `running`. Callers never see `owner` (`publicEntry`). */
export interface Held extends Entry {
  readonly owner?: string;
}

/**
 * Rule: an entry is due for `lease` when it is `pending` or `failed` and its `dueAt` has come, or `running` and its
 * lease (`dueAt`) ran out (its process died). `done`, `dead` and `quarantined` entries are never due.
 */
export function isDue(entry: Entry, now: number): boolean {
  return (entry.status === 'pending' || entry.status === 'failed' || entry.status === 'running') && entry.dueAt.getTime() <= now;
}

/** Whether `admit({ as: 'running' })` may take an existing entry: not done, not quarantined, not under a live lease. */
function takeable(entry: Entry, now: number): boolean {
  return entry.status === 'pending' || entry.status === 'failed' || entry.status === 'dead'
    || (entry.status === 'running' && entry.dueAt.getTime() <= now);
}

/**
 * An entry as the adapters hold it, built field by field: the ledger's hot path makes a few per event, and a
 * literal of known shape is much cheaper than copying with spread or rest. Absent optional fields stay absent.
 */
function entryFrom(from: EntryRecord & { readonly conflicts?: number }, status: Entry['status'], attempts: number, dueAt: Date, owner: string | undefined,
  extra: { lastError?: string | undefined; projection?: Entry['projection']; staleReason?: Entry['staleReason'] }): Held {
  const entry: { -readonly [K in keyof Held]: Held[K] } = {
    provider: from.provider, id: from.id, type: from.type, tokenRef: from.tokenRef, occurredAt: from.occurredAt,
    receivedAt: from.receivedAt, fingerprint: from.fingerprint, body: from.body, status, attempts, dueAt, conflicts: from.conflicts ?? 0,
  };
  if (from.state !== undefined) entry.state = from.state;
  if (extra.lastError !== undefined) entry.lastError = extra.lastError;
  if (extra.projection !== undefined) entry.projection = extra.projection;
  if (extra.staleReason !== undefined) entry.staleReason = extra.staleReason;
  if (owner !== undefined) entry.owner = owner;
  return entry;
}

/**
 * A new entry as an adapter stored it: the record as given, with the fields the adapter set, as its database
 * sends them back (an absent field as `null` or `''`, numbers and times as numbers or their text). PostgreSQL and
 * Redis build it from these few fields rather than reading the whole row, body included, back.
 */
export function admittedEntry(record: EntryRecord, set: {
  readonly status: string; readonly attempts: number | string; readonly dueAt: number | string;
  readonly lastError: string | null; readonly projection: string | null; readonly staleReason: string | null;
}): Entry {
  return entryFrom(record, set.status as Entry['status'], Number(set.attempts), new Date(Number(set.dueAt)), undefined, {
    lastError: set.lastError || undefined,
    projection: (set.projection || undefined) as Entry['projection'],
    staleReason: (set.staleReason || undefined) as Entry['staleReason'],
  });
}

/** Rule: callers see all of a held entry but its lease owner. */
export function publicEntry(held: Held): Entry {
  return held.owner === undefined ? held : entryFrom(held, held.status, held.attempts, held.dueAt, undefined, held);
}

const NO_EXTRA = {};

/**
 * Rule: taking an entry (a `lease` of a due one, or an `admit` as `running` that takes one again) makes it `running` for
 * `owner`, counts one more attempt, and ends its lease `leaseMs` from now; its last error stays until it settles, its
 * projection goes: apply its state with `project` in the same atomic step, which records the new one.
 */
export function takenEntry(entry: Held, owner: string, leaseMs: number, now: number): Held {
  return entryFrom(entry, 'running', entry.attempts + 1, new Date(now + leaseMs), owner, { lastError: entry.lastError });
}

/**
 * Rule: a taken entry with a state applies it to its token's current state (`current`, `undefined` when the token
 * has none) under `decideProjection`, and records the outcome as its `projection` (and `staleReason`). Answers the
 * entry to write and, unless the event was stale, the token state to write, with `updatedAt` now. An entry without
 * a state answers unchanged, with no state.
 * `entry` is one this step has just built (`admissionOf`'s `write`, `takenEntry`'s answer), stored nowhere and seen by
 * no caller yet: the outcome is set on it, not on a copy (`takenEntry` never carries a projection over).
 */
export function project(entry: Held, current: TokenStateRecord | undefined, now: number): { entry: Held; state?: TokenStateRecord } {
  const change = changeOf(entry);
  if (!change) return { entry };
  const decision = decideProjection(current, change);
  const taken = entry as { -readonly [K in keyof Held]: Held[K] };
  taken.projection = decision.outcome;
  if (decision.outcome === 'stale') {
    taken.staleReason = decision.staleReason;
    return { entry };
  }
  return {
    entry,
    state: {
      provider: entry.provider, tokenRef: entry.tokenRef, state: decision.next.state, occurredAt: decision.next.occurredAt, eventId: decision.next.eventId,
      updatedAt: new Date(now),
    },
  };
}

export type AdmissionDecision =
  | { readonly admitted: true; readonly entry: Held; readonly write: Held; readonly taken: boolean }
  | { readonly admitted: false; readonly entry: Held; readonly conflict: boolean; readonly write?: Held };

/**
 * Rule of `admit`, given the entry stored under the record's key (`existing`), in this order:
 * 1. none stored: the record is stored as asked: `running` for `admit.owner` (1 attempt, lease `leaseMs`), `pending`
 *    (due now) or `quarantined` (with `admit.error`);
 * 2. a stored entry with another fingerprint: a conflict, counted on it (`conflicts + 1`), and nothing else changes.
 *    An entry stored without a fingerprint (`''`, carried over from 0.1) has no conflicts: every copy is a duplicate;
 * 3. `running` asked and the stored entry is `pending`, `failed` or `dead`, or `running` under an expired lease: it is
 *    taken again (`takenEntry`);
 * 4. otherwise a duplicate: the stored entry answered as it is (`write` absent: nothing to store).
 * `write` is what to store; a `taken` entry still needs `project` in the same atomic step.
 */
export function admissionOf(existing: Held | undefined, record: EntryRecord, admit: Admit, now: number): AdmissionDecision {
  if (!existing) {
    const entry: Held = admit.as === 'running'
      ? entryFrom(record, 'running', 1, new Date(now + admit.leaseMs), admit.owner, NO_EXTRA)
      : admit.as === 'pending' ? entryFrom(record, 'pending', 0, new Date(now), undefined, NO_EXTRA)
        : entryFrom(record, 'quarantined', 0, new Date(now), undefined, { lastError: admit.error });
    return { admitted: true, entry, write: entry, taken: admit.as === 'running' };
  }
  // An entry carried over from 0.1 has no fingerprint (0.1 kept none): any copy of it is a duplicate.
  if (existing.fingerprint !== record.fingerprint && existing.fingerprint !== '') {
    const entry: Held = { ...existing, conflicts: existing.conflicts + 1 };
    return { admitted: false, entry, conflict: true, write: entry };
  }
  if (admit.as === 'running' && takeable(existing, now)) {
    const entry = takenEntry(existing, admit.owner, admit.leaseMs, now);
    return { admitted: true, entry, write: entry, taken: true };
  }
  return { admitted: false, entry: existing, conflict: false };
}

const withError = (entry: Entry, lastError: string) => ({ projection: entry.projection, staleReason: entry.staleReason, lastError });

/**
 * Rule of `settle` (once `maySettle` allowed it): `done` now, keeping its last error; `failed` with `error`, due again
 * `retryInMs` from now; `dead` with `error`. Attempts and the projection stay; the lease owner is cleared.
 */
export function settledEntry(entry: Held, settlement: Settlement, now: number): Held {
  switch (settlement.status) {
    case 'done':
      return entryFrom(entry, 'done', entry.attempts, new Date(now), undefined, entry);
    case 'failed':
      return entryFrom(entry, 'failed', entry.attempts, new Date(now + settlement.retryInMs), undefined, withError(entry, settlement.error));
    case 'dead':
      return entryFrom(entry, 'dead', entry.attempts, new Date(now), undefined, withError(entry, settlement.error));
  }
}

/**
 * Rule: `done` is recorded whoever settles (the handlers did complete); `failed` and `dead` only by the owner of the
 * entry's lease while it is `running` (an owner that lost its lease settles nothing). Check a missing entry first.
 */
export function maySettle(entry: Held, owner: string, settlement: Settlement): boolean {
  return settlement.status === 'done' || (entry.status === 'running' && entry.owner === owner);
}
