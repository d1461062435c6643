import type { StaleReason, TokenState } from '../events';

/**
 * What an event did to its token's state (`decideProjection`):
 * - `changed`: it set the state (or made it first known), or it is the event that set it, run again;
 * - `repeated`: it reports the state the token already has: the state's time moves forward, nothing else;
 * - `stale`: it is older than what was applied (`out_of_order`), or would revive a DELETED token (`after_deleted`).
 */
export type ProjectionOutcome = 'changed' | 'repeated' | 'stale';

export type Awaitable<T> = T | Promise<T>;

/** Identifies one notification: the dedupe key. */
export interface EventKey {
  readonly provider: string;
  readonly id: string;
}

/**
 * Where a ledger entry stands:
 * - `pending`: stored, waiting for a worker (inbox mode), due at `dueAt`;
 * - `running`: leased by one owner until `dueAt` (renewed while its handlers run);
 * - `done`: its handlers completed (a later copy is a duplicate);
 * - `failed`: its last run failed; the provider's retry (sync mode) or the worker at `dueAt` (inbox mode) runs it again;
 * - `dead`: failed `maxAttempts` times in inbox mode; `requeue` brings it back;
 * - `quarantined`: authentic but unreadable (schema or mapping); kept for inspection and replay.
 */
export type EntryStatus = 'pending' | 'running' | 'done' | 'failed' | 'dead' | 'quarantined';

export const ENTRY_STATUSES: readonly EntryStatus[] = ['pending', 'running', 'done', 'failed', 'dead', 'quarantined'];

/** The statuses `requeue` makes pending again. */
export type RequeueableStatus = 'failed' | 'dead' | 'done';
export const REQUEUEABLE_STATUSES: readonly RequeueableStatus[] = ['failed', 'dead', 'done'];

/** What the delivery core records for one notification. Storage indexes the fields and keeps `body` as it is. */
export interface EntryRecord extends EventKey {
  /** The normalized event type (`token.active`, …), or `unreadable` for a quarantined delivery. */
  readonly type: string;
  readonly tokenRef: string;
  readonly state?: TokenState;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  /** A hash of what the event means (type, token, state, time, reason): equal ids with other fingerprints are conflicts. */
  readonly fingerprint: string;
  /** The entry's content as the delivery core encodes it (event fields, redacted payload, sealed secrets): opaque to storage. */
  readonly body: string;
}

/** One entry of the ledger: the record and its outcome. */
export interface Entry extends EntryRecord {
  readonly status: EntryStatus;
  /** Runs started so far (a process that died mid-run counts). */
  readonly attempts: number;
  /** `pending`/`failed`: when it is next due; `running`: when its lease ends; otherwise when it settled. */
  readonly dueAt: Date;
  readonly lastError?: string;
  /** Copies of this id that arrived with another fingerprint. */
  readonly conflicts: number;
  /** Set each time the entry is taken to run, for an entry with a state: what it did to its token's state. */
  readonly projection?: ProjectionOutcome;
  readonly staleReason?: StaleReason;
}

export interface TokenStateRecord {
  readonly provider: string;
  readonly tokenRef: string;
  readonly state: TokenState;
  /** `occurredAt` of the newest event applied: the one that set `state`, or a later repeat of it. */
  readonly occurredAt: Date;
  /** The event that set `state`. */
  readonly eventId: string;
  readonly updatedAt: Date;
}

export interface StateChange {
  readonly provider: string;
  readonly tokenRef: string;
  readonly state: TokenState;
  readonly occurredAt: Date;
  readonly eventId: string;
}

/**
 * How `admit` stores a new entry:
 * - `running`: take it now for `owner` (sync mode runs it inline), or take again an entry whose last
 *   run failed, died or whose lease expired. Taking an entry with a state applies it to its token under
 *   `decideProjection`, atomically, and records the outcome as the entry's `projection`;
 * - `pending`: queue it for a worker (inbox mode);
 * - `quarantined`: keep an unreadable delivery with the reason.
 */
export type Admit =
  | { readonly as: 'running'; readonly owner: string; readonly leaseMs: number }
  | { readonly as: 'pending' }
  | { readonly as: 'quarantined'; readonly error: string };

/**
 * `admitted`: the entry was stored (or taken again) as asked. Otherwise `entry` is the existing entry, left
 * as it was except for `conflicts`, and `conflict` says whether this copy's fingerprint differed.
 */
export type Admission =
  | { readonly admitted: true; readonly entry: Entry }
  | { readonly admitted: false; readonly entry: Entry; readonly conflict: boolean };

/**
 * How a run ended:
 * - `done` (whoever holds the lease: the handlers did complete);
 * - `failed` (only by the lease holder), due again in `retryInMs`;
 * - `dead` (only by the lease holder).
 */
export type Settlement =
  | { readonly status: 'done' }
  | { readonly status: 'failed'; readonly error: string; readonly retryInMs: number }
  | { readonly status: 'dead'; readonly error: string };

/** One run's outcome, as `settleMany` records it: the `settle` of `key` by `owner`. */
export interface OwnedSettlement {
  readonly key: EventKey;
  readonly owner: string;
  readonly settlement: Settlement;
}

/**
 * Where a page of a listing ended: the last entry it showed. `EntryQuery.after` asks for the entries that follow it in
 * the query's order (keyset paging: a page costs the same however deep it is, and entries received meanwhile shift nothing).
 */
export interface EntryCursor {
  readonly receivedAt: Date;
  readonly provider: string;
  readonly id: string;
}

/** The cursor of an entry: the page after it starts past it. */
export const cursorOf = (entry: EntryCursor): EntryCursor => ({ receivedAt: entry.receivedAt, provider: entry.provider, id: entry.id });

export interface EntryQuery {
  readonly provider?: string;
  /** Exactly this event id (of every provider unless `provider` is given). */
  readonly id?: string;
  /** Exactly this token reference (of every provider unless `provider` is given). */
  readonly tokenRef?: string;
  readonly status?: EntryStatus;
  /** Inclusive lower bound on `receivedAt`. */
  readonly since?: Date;
  /** Exclusive upper bound on `receivedAt`. */
  readonly until?: Date;
  /** Only entries that counted a copy with another meaning (`conflicts > 0`). */
  readonly conflicted?: true;
  /**
   * Ordered by `receivedAt`, then (for entries received in the same millisecond) by provider and id: `'oldest'` first
   * (default) or `'newest'` first; `limit` keeps the first ones of that order.
   */
  readonly order?: 'oldest' | 'newest';
  /** Only the entries past this one in the query's order (the last entry of the previous page). */
  readonly after?: EntryCursor;
  /** Default 100. */
  readonly limit?: number;
}

/** How an entry's run ended, as its attempt log keeps it; `requeued`: it was made pending again (a replay) after its runs. */
export type AttemptOutcome = 'done' | 'failed' | 'dead' | 'requeued';

/** One line of an entry's attempt log: a run's outcome, or a replay. */
export interface Attempt {
  /** When it was recorded, by the storage's clock. */
  readonly at: Date;
  /** The entry's `attempts` then: which run it was (counted from 1 again after a replay), or how many ran before a replay. */
  readonly attempt: number;
  readonly outcome: AttemptOutcome;
  /** `failed` and `dead`: the error, as the settlement gave it. */
  readonly error?: string;
}

/** A copy of an entry's id that reached storage after the first delivery: a duplicate, a provider's retry, or a conflicting copy. */
export interface EntryCopy {
  /** When it arrived, by the storage's clock. */
  readonly at: Date;
  /** Its fingerprint: another than the entry's means another meaning (a conflict). */
  readonly fingerprint: string;
}

/** What an entry went through, each list oldest first and bounded: the newest `HISTORY_MAX` of each are kept. */
export interface EntryHistory {
  /** Its runs' outcomes and its replays, kept across replays. */
  readonly attempts: readonly Attempt[];
  /** Copies of its id that reached storage (a copy a process answered from its cache of finished events did not). */
  readonly copies: readonly EntryCopy[];
}

/** How many attempts and copies `getHistory` keeps per entry: the newest. */
export const HISTORY_MAX = 20;

/** Deliveries refused in one minute (UTC, `minute` is its start) for one provider, HTTP status and code. */
export interface RefusalMinute {
  readonly minute: Date;
  readonly provider: string;
  readonly status: number;
  readonly code: string;
  readonly count: number;
  /** The latest refusal of the minute. */
  readonly last: Date;
}

/** How long `addRefusals` keeps a minute's counts, by the storage's clock. */
export const REFUSALS_KEPT_MS = 24 * 60 * 60_000;

/**
 * What `stats` counts: entries received in the window, in whole minutes (the minute holding `since` up to the
 * last minute that starts before `until`), and the whole ledger's open entries and token states.
 */
export interface StatsQuery {
  readonly since: Date;
  readonly until: Date;
  /** Count only this provider's entries and tokens. */
  readonly provider?: string;
}

/** Entries received in one minute (UTC, `minute` is its start) of one provider, by their current status. */
export interface ReceivedCount {
  readonly minute: Date;
  readonly provider: string;
  readonly status: EntryStatus;
  readonly count: number;
}

export interface StatusCount {
  readonly provider: string;
  readonly status: EntryStatus;
  readonly count: number;
}

export interface TokenStateCount {
  readonly provider: string;
  readonly state: TokenState;
  readonly count: number;
}

/** The counts an operations view shows, each list in no particular order and without zero counts. */
export interface LedgerStats {
  /** Entries received in the window, by minute of receipt, provider and current status. */
  readonly received: readonly ReceivedCount[];
  /** Every stored entry that is not `done` (whenever received), by provider and status. */
  readonly open: readonly StatusCount[];
  /** Token states, by provider and state. */
  readonly tokens: readonly TokenStateCount[];
  /** Stored entries that counted a conflicting copy (`conflicts > 0`). */
  readonly conflicted: number;
}

/** The length of a `ReceivedCount` bucket, in ms. */
export const STATS_BUCKET_MS = 60_000;

/** A `StatsQuery` window in epoch ms, widened to whole minutes: `[since, until)`. */
export function statsWindow(query: StatsQuery): { readonly since: number; readonly until: number } {
  const since = query.since.getTime();
  const until = query.until.getTime();
  return { since: since - (since % STATS_BUCKET_MS), until: Math.ceil(until / STATS_BUCKET_MS) * STATS_BUCKET_MS };
}

export interface PruneResult {
  readonly entries: number;
}

/**
 * The ledger: one entry per `(provider, id)` with its status, one lease scheme, and the token-state
 * projection. Every method may be sync or async. Every adapter passes `runStorageConformance`.
 *
 * Clock: leases and due times are judged by the storage's own clock (the database's for PostgreSQL and
 * Redis), so instances whose clocks disagree still agree on who holds a lease. Callers pass durations.
 */
export interface Storage {
  init?(): Awaitable<void>;
  close?(): Awaitable<void>;
  /** Where the data lives, for error messages (`PostgreSQL at db.internal:5432/payments`): never a credential. */
  describe?(): string;
  /**
   * The store's own clock, for a store that several machines share (the database's `clock_timestamp()`, Redis
   * `TIME`). Times that instances compare (receipt, retention, "dated in the future") are then read from it, not
   * from each instance's clock. Leave it out for a store of one machine.
   */
  clock?(): Awaitable<Date>;
  /**
   * Throws when a delivery could not be recorded now (`health()` asks it): the store refuses writes (read-only,
   * a replica, out of memory, its file gone) or cannot keep them. Cheap, one round trip, and it leaves nothing
   * behind: a write it rolls back or that changes nothing, or the store's own read-only flag. Optional: without
   * it, `health()` reads a token state. A write that fails only at commit (a full disk) may pass it: `health()`
   * also counts the deliveries' own storage failures.
   */
  probe?(): Awaitable<void>;
  /** Store `record` as `admit` says, atomically with respect to every other call on the same key. */
  admit(record: EntryRecord, admit: Admit): Awaitable<Admission>;
  /**
   * Lease one due entry to `owner` for `leaseMs`: `pending` or `failed` with `dueAt` reached, or `running`
   * with its lease expired (oldest `dueAt` first), or, with `key`, that entry if it is due. Increments `attempts`
   * and applies its state as `admit` does. Exactly one concurrent caller gets a given entry, across processes.
   */
  lease(owner: string, leaseMs: number, key?: EventKey): Awaitable<Entry | undefined>;
  /**
   * Lease up to `limit` due entries to `owner` for `leaseMs` in one step, each as `lease` without `key` would (oldest
   * `dueAt` first; attempts counted, states applied in that order for entries of one token): fewer, or none, when
   * fewer are due. Exactly one concurrent caller gets a given entry, across processes. Optional: without it the
   * worker sends `lease` calls side by side, one per entry it takes; with it, one round trip (and one commit) takes
   * a batch, which is what lets a worker keep up with a burst.
   */
  leaseMany?(owner: string, leaseMs: number, limit: number): Awaitable<Entry[]>;
  /** Renew `owner`'s unexpired lease to now + `leaseMs`; `false` when it holds none (expired, taken, settled). */
  extend(key: EventKey, owner: string, leaseMs: number): Awaitable<boolean>;
  /** Record how a run ended; `false` when it was not recorded (`failed`/`dead` by an owner that lost the lease, or no such entry). */
  settle(key: EventKey, owner: string, settlement: Settlement): Awaitable<boolean>;
  /**
   * Record how several runs ended in one step, each as `settle` would (its key, its owner, its settlement): answers,
   * in the same order, whether each was recorded. Each key appears once. Optional: the inbox worker stores its runs'
   * completions with it, many in one round trip and one commit, and calls `settle` one by one without it.
   */
  settleMany?(settlements: readonly OwnedSettlement[]): Awaitable<boolean[]>;
  /**
   * Make `failed`, `dead` and `done` entries with this id (of `provider`, or any) `pending` again, 0 attempts, due now.
   * Answers their keys. With `from`, only entries in one of those statuses, checked in the same step as the change
   * (a bulk replay of dead letters must not run an event someone else just replayed and finished).
   */
  requeue(id: string, provider?: string, from?: readonly RequeueableStatus[]): Awaitable<EventKey[]>;
  getEntry(key: EventKey): Awaitable<Entry | undefined>;
  /**
   * The entries `query` selects, in its order, at most its limit. An operations view pages through millions with it
   * (`after`, every filter alone or together, `tokenRef` and `id` with or without `provider`): answer from indexes.
   */
  listEntries(query?: EntryQuery): Awaitable<Entry[]>;
  getTokenState(provider: string, tokenRef: string): Awaitable<TokenStateRecord | undefined>;
  /** Remove `done` entries received before `olderThan`. Token states and unfinished entries are kept. */
  prune(olderThan: Date): Awaitable<PruneResult>;
  /**
   * Counts for an operations view, answered from indexes (a page must stay fast at millions of entries).
   * Optional: an adapter that has it also honours `EntryQuery.order` and `EntryQuery.conflicted`.
   */
  stats?(query: StatsQuery): Awaitable<LedgerStats>;
  /**
   * The entry's attempt log and the copies of its id that arrived, as `settle`, `requeue` and `admit` record them
   * (empty lists for an entry without any, or no such entry). Optional: an adapter that has it records them.
   */
  getHistory?(key: EventKey): Awaitable<EntryHistory>;
  /**
   * Add refusals counted by one instance (to the counts of the same minute, provider, status and code; `last` the later),
   * and forget the minutes older than `REFUSALS_KEPT_MS`. Optional, with `listRefusals`: the fleet's refusals.
   */
  addRefusals?(counts: readonly RefusalMinute[]): Awaitable<void>;
  /** The refusals counted in minutes from the one holding `since` on, in no particular order. */
  listRefusals?(since: Date): Awaitable<RefusalMinute[]>;
}
