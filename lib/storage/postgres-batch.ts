/**
 * The statements that write several calls at once: the admits of concurrent deliveries (`groupCommit`) in one
 * statement calling the admit function once per item; settles (the deliveries' `done`, the worker's completions) in
 * one `UPDATE`. One round trip and one commit for the batch, each item answered as the single statement answers it.
 */
import type { Admit, EntryRecord, OwnedSettlement } from './storage';
import { NOW_MS, appendedSql } from './kit/migrations/postgres/003-history-search-refusals';
import type { PostgresNames } from './postgres-schema';

export interface AdmitItem {
  readonly record: EntryRecord;
  readonly admit: Admit;
}

const iso = (date: Date) => date.toISOString();

/** The admit function's 13 arguments for one item, in its order. */
export const admitValues = ({ record, admit }: AdmitItem): unknown[] => [
  record.provider, record.id, record.type, record.tokenRef, record.state ?? null, iso(record.occurredAt), iso(record.receivedAt),
  record.fingerprint, record.body, admit.as, admit.as === 'running' ? admit.owner : null, admit.as === 'running' ? admit.leaseMs : null,
  admit.as === 'quarantined' ? admit.error : null,
];

/** The admit function's parameters: name and type, in its order. */
const ADMIT_PARAMETERS = [
  ['provider', 'text'], ['id', 'text'], ['type', 'text'], ['token_ref', 'text'], ['state', 'text'], ['occurred_at', 'timestamptz'],
  ['received_at', 'timestamptz'], ['fingerprint', 'text'], ['body', 'text'], ['as_', 'text'], ['owner', 'text'], ['lease_ms', 'float8'],
  ['error', 'text'],
] as const;

/** The batch's values: one array per parameter of the admit function, item `k` at index `k` of each. */
export function admitColumns(items: readonly AdmitItem[]): unknown[][] {
  const columns: unknown[][] = ADMIT_PARAMETERS.map(() => new Array<unknown>(items.length));
  items.forEach((item, k) => {
    admitValues(item).forEach((value, p) => { columns[p]![k] = value; });
  });
  return columns;
}

/**
 * The admit function once per item, in one statement, answering each item's reply with its position (`i`, from 1).
 * First the batch takes every item's id lock (the admit function's advisory lock, which it then takes again at no
 * cost), in the order of the locks' keys, before it locks any row: a batch never waits for an id lock while holding
 * a row that a single admit holding that id lock (an instance sending one admit, or a release without batches) needs
 * next, the deadlock copies of one event sent to two instances at once otherwise meet.
 * The items are taken in the order of the rows they lock: the count of tokens by provider, slot (as the count function
 * computes it) and state, then the token's state row, then the id. So batches running at once (of this instance or
 * of others) lock the rows they share, above all those few counts, in one order rather than deadlock; a deadlock
 * left (a token changing from one state to another in each) fails the batch, and its items run again one by one. Two copies of one id
 * are taken one after the other in the order given: the second finds the first's row (a function declared
 * volatile, as this one, sees what the statement calling it wrote before).
 */
export const admitBatchSql = (n: PostgresNames) => {
  const columns = ADMIT_PARAMETERS.map(([name]) => name);
  const arrays = ADMIT_PARAMETERS.map(([, type], p) => `$${p + 1}::${type}[]`).join(', ');
  return `WITH t AS MATERIALIZED (SELECT * FROM unnest(${arrays}) WITH ORDINALITY AS t(${columns.join(', ')}, i)),
    locked AS MATERIALIZED (SELECT count(*) AS n FROM (SELECT pg_advisory_xact_lock(hashtext('${n.ledger}'), k)
      FROM (SELECT DISTINCT hashtext(provider || ':' || id) AS k FROM t ORDER BY k) keys) l)
    SELECT b.i::integer AS i, ${n.admit}(${columns.map((c) => `b.${c}`).join(', ')}) AS r
    FROM (SELECT t.* FROM t, locked WHERE locked.n >= 0
      ORDER BY provider, hashtext(token_ref) & 15, state, token_ref, id, i) b`;
};

/**
 * `settle` for several entries (`settleColumns`), each key once: each row changed as the single `UPDATE` changes it
 * (`done` whoever the owner, `failed` and `dead` only for the lease holder), answering the keys it updated. The rows
 * are locked in key order before any is changed: batches sharing rows (the deliveries' `done` settles, the worker's
 * completions, of this instance or of others) never wait on each other in a circle.
 */
export const settleBatchSql = (n: PostgresNames) => `WITH s AS MATERIALIZED (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[]) AS s(provider, id, owner, status, error, retry_ms)),
  locked AS MATERIALIZED (SELECT l.provider, l.id FROM ${n.ledger} l JOIN s ON l.provider = s.provider AND l.id = s.id
    WHERE s.status = 'done' OR (l.status = 'running' AND l.owner = s.owner) ORDER BY l.provider, l.id FOR UPDATE OF l)
  UPDATE ${n.ledger} AS l SET status = s.status, owner = NULL, last_error = CASE WHEN s.status = 'done' THEN l.last_error ELSE s.error END,
    due_at = now() + s.retry_ms * interval '1 millisecond', attempt_log = ${appendedSql('l.attempt_log',
    `jsonb_strip_nulls(jsonb_build_object('at', ${NOW_MS}, 'attempt', l.attempts, 'outcome', s.status, 'error', s.error))`)}
  FROM s, locked WHERE locked.provider = l.provider AND locked.id = l.id AND s.provider = l.provider AND s.id = l.id
    AND (s.status = 'done' OR (l.status = 'running' AND l.owner = s.owner))
  RETURNING l.provider, l.id`;

/** `settleBatchSql`'s values: provider, id, owner, status, error and retry delay, one array each, settlement `k` at index `k`. */
export function settleColumns(settlements: readonly OwnedSettlement[]): unknown[][] {
  const n = settlements.length;
  const [providers, ids, owners, statuses] = [new Array<string>(n), new Array<string>(n), new Array<string>(n), new Array<string>(n)];
  const errors = new Array<string | null>(n);
  const retries = new Array<number>(n);
  settlements.forEach(({ key, owner, settlement }, k) => {
    providers[k] = key.provider;
    ids[k] = key.id;
    owners[k] = owner;
    statuses[k] = settlement.status;
    errors[k] = settlement.status === 'done' ? null : settlement.error;
    retries[k] = settlement.status === 'failed' ? settlement.retryInMs : 0;
  });
  return [providers, ids, owners, statuses, errors, retries];
}

/**
 * Whether a batch may have failed for one item's sake, so that its items are worth sending again one by one: a value
 * the database refused (class 22, data exception), a constraint (23), or a deadlock or serialization failure with
 * another transaction (40). A lost connection, a timeout, a cancelled statement fail the whole batch.
 */
export function isOneItemFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|40)/.test(code);
}
