import type { StaleReason, TokenEventType, TokenState } from '../events';

export type Awaitable<T> = T | Promise<T>;

/** Identifies one notification: the dedupe key. */
export interface EventKey {
  readonly provider: string;
  readonly id: string;
}

/**
 * `claimed`: the caller won and must `complete` or `release`.
 * `processed`: an earlier delivery completed it.
 * `in_progress`: another owner holds an unexpired lease.
 */
export type ClaimResult = 'claimed' | 'processed' | 'in_progress';

export interface TokenStateRecord {
  readonly provider: string;
  readonly tokenRef: string;
  readonly state: TokenState;
  /** `occurredAt` of the event that set `state`. */
  readonly occurredAt: Date;
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

export interface ProjectionResult {
  /** Whether the change set the token's current state. */
  readonly applied: boolean;
  readonly staleReason?: StaleReason;
  /** The token's state after the call. */
  readonly current: TokenStateRecord;
}

/** One entry of the event log. `payload` is the provider payload with secrets redacted. */
export interface StoredEvent {
  readonly provider: string;
  readonly id: string;
  readonly type: TokenEventType;
  readonly tokenRef: string;
  readonly state?: TokenState;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly stale: boolean;
  readonly staleReason?: StaleReason;
  readonly payload: unknown;
}

export interface EventQuery {
  readonly provider?: string;
  readonly tokenRef?: string;
  /** Inclusive lower bound on `receivedAt`. */
  readonly since?: Date;
  /** Exclusive upper bound on `receivedAt`. */
  readonly until?: Date;
  /** Default 100. Results are ordered by `receivedAt`, oldest first. */
  readonly limit?: number;
}

export interface PruneResult {
  readonly claims: number;
  readonly events: number;
}

/**
 * Where dedupe claims, the event log and the token-state projection live.
 * Every method may be sync or async. Every adapter passes `runStorageConformance`.
 */
export interface Storage {
  init?(): Awaitable<void>;
  close?(): Awaitable<void>;
  /** Atomically claim `key` for `owner` for `leaseMs`. Exactly one concurrent caller wins. An expired lease can be claimed again. */
  claim(key: EventKey, owner: string, leaseMs: number): Awaitable<ClaimResult>;
  /** Mark `key` processed for good (until pruned). */
  complete(key: EventKey, owner: string): Awaitable<void>;
  /** Drop `owner`'s lease so the next delivery can claim again. No-op when `owner` no longer holds it. */
  release(key: EventKey, owner: string): Awaitable<void>;
  /**
   * Optional (lease renewal): push the expiry of `owner`'s unexpired, not-completed claim to now + `leaseMs`,
   * by the same clock as `claim`. `false` when `owner` no longer holds it (expired, taken, released or completed).
   * Without it, a claim lasts `leaseMs` however long the handlers run.
   */
  extend?(key: EventKey, owner: string, leaseMs: number): Awaitable<boolean>;
  /** Insert or replace the log entry of `event.provider`/`event.id`. */
  saveEvent(event: StoredEvent): Awaitable<void>;
  listEvents(query?: EventQuery): Awaitable<StoredEvent[]>;
  /** Apply a state change under the rule of `decideProjection` (atomically with respect to concurrent writers). */
  applyTokenState(change: StateChange): Awaitable<ProjectionResult>;
  getTokenState(provider: string, tokenRef: string): Awaitable<TokenStateRecord | undefined>;
  /** Remove processed claims and log entries older than `olderThan`. Token states are kept. */
  prune(olderThan: Date): Awaitable<PruneResult>;
}
