import type { Awaitable, EventKey, Storage } from './storage';

/**
 * `pending`: waiting for a worker (or leased by one).
 * `done`: its handlers completed.
 * `dead`: gave up after `maxAttempts`; `requeue` brings it back.
 */
export type InboxStatus = 'pending' | 'done' | 'dead';

/** What `mode: 'inbox'` stores before it acknowledges a delivery. */
export interface InboxItem extends EventKey {
  /** The normalized event with its redacted payload, as `encodeInboxEvent` writes it. */
  readonly body: string;
  readonly enqueuedAt: Date;
}

export interface InboxEntry extends InboxItem {
  readonly status: InboxStatus;
  /** Leases taken so far (a worker that died mid-way counts). */
  readonly attempts: number;
  /** When the entry is next due; while leased, when the lease ends. */
  readonly nextAttemptAt: Date;
  readonly lastError?: string;
}

export interface InboxListQuery {
  /** Default 100, oldest first. */
  readonly limit?: number;
}

/**
 * The queue `mode: 'inbox'` needs, an optional extension of `Storage`.
 * Every adapter of this package implements it; `isInboxStorage` tells whether yours does.
 *
 * Leasing is a visibility timeout: `leaseNext` hands one due `pending` entry to one caller and
 * makes it due again at `now + leaseMs`, so an entry whose worker died is picked up again.
 * Exactly one concurrent caller gets a given entry, across processes for shared stores.
 */
export interface InboxStorage {
  /** Durably insert `item` as `pending`, due now. Idempotent on `provider`/`id`: `false` when it already exists. */
  enqueue(item: InboxItem): Awaitable<boolean>;
  /** Lease one `pending` entry due at `now` to `owner`, incrementing `attempts`; `undefined` when none is due. */
  leaseNext(owner: string, leaseMs: number, now: Date): Awaitable<InboxEntry | undefined>;
  /** Mark the entry `done` (whoever holds the lease: the handlers did complete). */
  markDone(key: EventKey, owner: string, now: Date): Awaitable<void>;
  /** Keep it `pending`, due at `nextAttemptAt`. No-op unless `owner` holds the lease. */
  markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): Awaitable<void>;
  /** Move it to `dead`. No-op unless `owner` holds the lease. */
  markDead(key: EventKey, owner: string, error: string, now: Date): Awaitable<void>;
  /**
   * Optional (lease renewal): make the `pending` entry leased by `owner` due at `now + leaseMs`.
   * `false` when `owner` no longer holds it (leased again by another, done, failed or dead).
   */
  extendLease?(key: EventKey, owner: string, leaseMs: number, now: Date): Awaitable<boolean>;
  getInboxEntry(key: EventKey): Awaitable<InboxEntry | undefined>;
  listDeadLetters(query?: InboxListQuery): Awaitable<InboxEntry[]>;
  /** Make `dead` or `done` entries with this id (of `provider`, or any) `pending` again with 0 attempts, due at `now`. Answers how many. */
  requeue(id: string, provider: string | undefined, now: Date): Awaitable<number>;
  /** Remove `done` entries enqueued before `olderThan`. Answers how many. */
  pruneInbox(olderThan: Date): Awaitable<number>;
}

const INBOX_METHODS = ['enqueue', 'leaseNext', 'markDone', 'markFailed', 'markDead', 'getInboxEntry', 'listDeadLetters', 'requeue', 'pruneInbox'] as const;

export function isInboxStorage(storage: Storage): storage is Storage & InboxStorage {
  const candidate = storage as unknown as Record<string, unknown>;
  return INBOX_METHODS.every((m) => typeof candidate[m] === 'function');
}
