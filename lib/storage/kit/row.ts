import type { StaleReason, TokenState } from '../../events';
import type { Entry, EntryStatus, ProjectionOutcome, TokenStateRecord } from '../storage';
import { ENTRY_STATUSES } from '../storage';

/**
 * The row shapes of the SQL adapters: one table of entries (`ntw_ledger`) and one of token states (`ntw_token_states`),
 * with snake_case columns, times as epoch ms (or as the driver returns them), and absent fields as `NULL`.
 */

/** The statuses of an open entry, as a SQL list: listed, so the status index finds them (`<> 'done'` would scan). */
export const OPEN_STATUSES_SQL = ENTRY_STATUSES.filter((status) => status !== 'done').map((status) => `'${status}'`).join(', ');

/** The columns of one ledger row, as the SQL adapters read them (times in epoch ms): `ENTRY_COLUMNS`. */
export interface EntryRow {
  readonly provider: string;
  readonly id: string;
  readonly status: string;
  readonly attempts: number;
  readonly due_at: number | string;
  readonly last_error: string | null;
  readonly fingerprint: string;
  readonly conflicts: number;
  readonly type: string;
  readonly token_ref: string;
  readonly state: string | null;
  readonly occurred_at: number | string;
  readonly received_at: number | string;
  readonly projection: string | null;
  readonly stale_reason: string | null;
  readonly body: string;
}

/**
 * The ledger table's columns in the order the SQL adapters write them: an `EntryRow`'s, and the lease `owner`
 * (`NULL` unless `running`), which callers never read.
 */
export const LEDGER_COLUMNS = [
  'provider', 'id', 'status', 'attempts', 'owner', 'due_at', 'last_error', 'fingerprint', 'conflicts', 'type', 'token_ref', 'state',
  'occurred_at', 'received_at', 'projection', 'stale_reason', 'body',
] as const satisfies readonly (keyof EntryRow | 'owner')[];

/**
 * The ledger table's last columns, which hold an entry's history (`Storage.getHistory`) as JSON arrays: read only by
 * `getHistory`, each written by the one statement that appends to it (`settle` and `requeue` the attempt log, `admit` the copies).
 */
export const HISTORY_COLUMNS = ['attempt_log', 'copy_log'] as const;

/** The columns an `EntryRow` reads, in the table's order. */
export const ENTRY_COLUMNS: readonly (keyof EntryRow)[] = LEDGER_COLUMNS.filter((column): column is Exclude<typeof column, 'owner'> => column !== 'owner');

/** The columns that hold a time (epoch ms in SQLite, `timestamptz` in PostgreSQL). */
export const TIME_COLUMNS: ReadonlySet<string> = new Set(['due_at', 'occurred_at', 'received_at', 'updated_at']);

/** A time as a driver returns it: epoch ms, an ISO string (JSON rows), or a Date. */
const toDate = (value: number | string | Date) => new Date(typeof value === 'string' ? Date.parse(value) : Number(value));

/** The entry a ledger row holds (its `owner` aside). */
export function entryFromRow(row: EntryRow): Entry {
  return {
    provider: row.provider,
    id: row.id,
    status: row.status as EntryStatus,
    attempts: Number(row.attempts),
    dueAt: toDate(row.due_at),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    fingerprint: row.fingerprint,
    conflicts: Number(row.conflicts),
    type: row.type,
    tokenRef: row.token_ref,
    ...(row.state === null ? {} : { state: row.state as TokenState }),
    occurredAt: toDate(row.occurred_at),
    receivedAt: toDate(row.received_at),
    ...(row.projection === null ? {} : { projection: row.projection as ProjectionOutcome }),
    ...(row.stale_reason === null ? {} : { staleReason: row.stale_reason as StaleReason }),
    body: row.body,
  };
}

/** The columns of one token-state row, as the SQL adapters read them (times in epoch ms): `STATE_COLUMNS`. */
export interface StateRow {
  readonly provider: string;
  readonly token_ref: string;
  readonly state: string;
  readonly occurred_at: number | string;
  readonly event_id: string;
  readonly updated_at: number | string;
}

/** The token-state table's columns, in the order the SQL adapters write them. */
export const STATE_COLUMNS = ['provider', 'token_ref', 'state', 'occurred_at', 'event_id', 'updated_at'] as const satisfies readonly (keyof StateRow)[];

/** The token state a token-state row holds. */
export const stateFromRow = (row: StateRow): TokenStateRecord => ({
  provider: row.provider, tokenRef: row.token_ref, state: row.state as TokenState,
  occurredAt: toDate(row.occurred_at), eventId: row.event_id, updatedAt: toDate(row.updated_at),
});
