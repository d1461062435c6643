/**
 * The statements that write the deliveries of several concurrent calls at once (`groupCommit`): the admits in one
 * statement calling the admit function once per item, the `done` settles in one `UPDATE`. One round trip and one
 * commit for the batch, each item answered as the single statement answers it.
 */
import type { Admit, EntryRecord } from './storage';
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
 * `settle(..., { status: 'done' })` for several entries: the same change and the same condition per row as the single
 * `UPDATE` (the entry, whatever its status), answering the keys it updated. Rows in key order, as above.
 */
export const doneBatchSql = (n: PostgresNames) => `UPDATE ${n.ledger} AS l SET status = 'done', owner = NULL, due_at = now(),
    attempt_log = ${appendedSql('l.attempt_log',
      `jsonb_strip_nulls(jsonb_build_object('at', ${NOW_MS}, 'attempt', l.attempts, 'outcome', 'done'::text, 'error', NULL::text))`)}
  FROM (SELECT * FROM unnest($1::text[], $2::text[]) AS u(provider, id) ORDER BY provider, id) u
  WHERE l.provider = u.provider AND l.id = u.id
  RETURNING l.provider, l.id`;

/**
 * Whether a batch may have failed for one item's sake, so that its items are worth sending again one by one: a value
 * the database refused (class 22, data exception), a constraint (23), or a deadlock or serialization failure with
 * another transaction (40). A lost connection, a timeout, a cancelled statement fail the whole batch.
 */
export function isOneItemFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|40)/.test(code);
}
