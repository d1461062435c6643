import type { TokenEventType, TokenState, StaleReason } from '../events';
import type { StoredEvent, TokenStateRecord } from './storage';
import type { InboxEntry, InboxStatus } from './inbox';

/** The columns of one event-log row, as the SQL adapters store them. */
export interface EventRow {
  readonly provider: string;
  readonly id: string;
  readonly type: string;
  readonly token_ref: string;
  readonly state: string | null;
  readonly occurred_at: number | Date | string;
  readonly received_at: number | Date | string;
  readonly stale: boolean | number;
  readonly stale_reason: string | null;
  readonly payload: string | null;
}

const toDate = (value: number | Date | string) => (value instanceof Date ? new Date(value.getTime()) : new Date(value));

/** The payload as stored text: JSON, or null for `undefined`. */
export const payloadText = (payload: unknown): string | null => (payload === undefined ? null : JSON.stringify(payload));

export function eventFromRow(row: EventRow): StoredEvent {
  return {
    provider: row.provider,
    id: row.id,
    type: row.type as TokenEventType,
    tokenRef: row.token_ref,
    ...(row.state === null ? {} : { state: row.state as TokenState }),
    occurredAt: toDate(row.occurred_at),
    receivedAt: toDate(row.received_at),
    stale: Boolean(row.stale),
    ...(row.stale_reason === null ? {} : { staleReason: row.stale_reason as StaleReason }),
    payload: row.payload === null ? undefined : JSON.parse(row.payload) as unknown,
  };
}

/** The columns of one inbox row, as the SQL adapters read them (times in epoch ms). */
export interface InboxRow {
  readonly provider: string;
  readonly id: string;
  readonly body: string;
  readonly status: string;
  readonly attempts: number;
  readonly next_attempt_at: number;
  readonly enqueued_at: number;
  readonly last_error: string | null;
}

export const entryFromRow = (row: InboxRow): InboxEntry => ({
  provider: row.provider, id: row.id, body: row.body, status: row.status as InboxStatus, attempts: row.attempts,
  nextAttemptAt: new Date(row.next_attempt_at), enqueuedAt: new Date(row.enqueued_at),
  ...(row.last_error === null ? {} : { lastError: row.last_error }),
});

/** The columns of one token-state row, as the SQL adapters read them (times in epoch ms). */
export interface StateRow {
  readonly provider: string;
  readonly token_ref: string;
  readonly state: string;
  readonly occurred_at: number;
  readonly event_id: string;
  readonly updated_at: number;
}

export const stateFromRow = (row: StateRow): TokenStateRecord => ({
  provider: row.provider, tokenRef: row.token_ref, state: row.state as TokenState,
  occurredAt: new Date(row.occurred_at), eventId: row.event_id, updatedAt: new Date(row.updated_at),
});
