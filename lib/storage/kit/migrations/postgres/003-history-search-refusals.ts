import type { PostgresNames } from '../../../postgres-schema';
import { HISTORY_MAX } from '../../../storage';
import type { PostgresMigration } from './step';

/** `CREATE INDEX` on the ledger only when no index of that name exists (as step 1 does: no SHARE lock otherwise). */
const index = (n: PostgresNames, name: string, definition: string) =>
  `DO $index$ BEGIN IF to_regclass('"${n.schema}".${name}') IS NULL THEN CREATE INDEX ${name} ON ${n.ledger} ${definition}; END IF; END $index$;`;

/** A history column (jsonb array, or `NULL`) with `item` appended, the oldest dropped past `HISTORY_MAX`. */
export const appendedSql = (column: string, item: string) => `(CASE WHEN jsonb_array_length(coalesce(${column}, '[]')) >= ${HISTORY_MAX}
  THEN ${column} - 0 ELSE coalesce(${column}, '[]') END) || jsonb_build_array(${item})`;

/** The database's clock in whole epoch milliseconds, as the history items keep times. */
export const NOW_MS = 'floor(extract(epoch from now()) * 1000)::bigint';

/** A ledger row as the functions answer it: without its history, which only `getHistory` reads. */
const rowJson = (e: string) => `(to_jsonb(${e}) - 'attempt_log' - 'copy_log')::json`;

const COPY = `copy_log = ${appendedSql('copy_log', `jsonb_build_object('at', ${NOW_MS}, 'fingerprint', p_fingerprint)`)}`;

/**
 * Step 3: each entry's history, kept in its row so that pruning the entry prunes it: its attempt log (`attempt_log`,
 * appended by `settle` and `requeue`) and the copies of its id that arrived (`copy_log`, appended by the admit function
 * below), each a jsonb array of the newest 20, `NULL` for the entries already stored (adding a column without a default
 * rewrites nothing). An index of each provider's entries by receipt, for the console's filter by provider (its other
 * searches use the indexes there are). The refusals of the fleet, by minute, provider, status and code.
 *
 * The admit and lease functions are replaced with the same parameters and answers: admit records each copy, and both
 * answer a row without its history. Instances of the previous release still running call them as before.
 */
const sql = (n: PostgresNames) => `
ALTER TABLE ${n.ledger} ADD COLUMN IF NOT EXISTS attempt_log jsonb;
ALTER TABLE ${n.ledger} ADD COLUMN IF NOT EXISTS copy_log jsonb;
${index(n, 'ntw_ledger_provider', '(provider, received_at, id)')}
CREATE TABLE IF NOT EXISTS ${n.refusals} (
  minute timestamptz NOT NULL,
  provider text NOT NULL,
  status integer NOT NULL,
  code text NOT NULL,
  count bigint NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (minute, provider, status, code)
);

CREATE OR REPLACE FUNCTION ${n.admit}(p_provider text, p_id text, p_type text, p_token_ref text, p_state text,
  p_occurred_at timestamptz, p_received_at timestamptz, p_fingerprint text, p_body text,
  p_as text, p_owner text, p_lease_ms float8, p_error text)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  e ${n.ledger}%ROWTYPE;
  v_outcome text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('${n.ledger}'), hashtext(p_provider || ':' || p_id));
  SELECT * INTO e FROM ${n.ledger} WHERE provider = p_provider AND id = p_id FOR UPDATE;
  IF NOT FOUND THEN
    IF p_as = 'running' THEN
      v_outcome := ${n.project}(p_provider, p_id, p_token_ref, p_state, p_occurred_at);
    END IF;
    INSERT INTO ${n.ledger} (provider, id, status, attempts, owner, due_at, last_error, fingerprint, conflicts,
        type, token_ref, state, occurred_at, received_at, body, projection, stale_reason)
      VALUES (p_provider, p_id, p_as, CASE WHEN p_as = 'running' THEN 1 ELSE 0 END,
        CASE WHEN p_as = 'running' THEN p_owner END,
        CASE WHEN p_as = 'running' THEN now() + p_lease_ms * interval '1 millisecond' ELSE now() END,
        CASE WHEN p_as = 'quarantined' THEN p_error END, p_fingerprint, 0,
        p_type, p_token_ref, p_state, p_occurred_at, p_received_at, p_body,
        split_part(v_outcome, ':', 1), nullif(split_part(v_outcome, ':', 2), ''))
      RETURNING * INTO e;
    -- the caller sent the rest: not the whole row back, body included
    RETURN json_build_object('admitted', true, 'conflict', false, 'created', json_build_object('status', e.status,
      'attempts', e.attempts, 'due_at', (extract(epoch from e.due_at) * 1000)::float8, 'last_error', e.last_error, 'projection', e.projection,
      'stale_reason', e.stale_reason));
  END IF;
  -- An entry stored without a fingerprint ('') meets no conflict: any copy of it is a duplicate.
  IF e.fingerprint <> p_fingerprint AND e.fingerprint <> '' THEN
    UPDATE ${n.ledger} SET conflicts = conflicts + 1, ${COPY} WHERE provider = p_provider AND id = p_id RETURNING * INTO e;
    RETURN json_build_object('admitted', false, 'conflict', true, 'entry', ${rowJson('e')});
  END IF;
  IF p_as <> 'running' OR NOT (e.status IN ('pending', 'failed', 'dead') OR (e.status = 'running' AND e.due_at <= now())) THEN
    UPDATE ${n.ledger} SET ${COPY} WHERE provider = p_provider AND id = p_id;
    RETURN json_build_object('admitted', false, 'conflict', false, 'entry', ${rowJson('e')});
  END IF;
  v_outcome := ${n.project}(e.provider, e.id, e.token_ref, e.state, e.occurred_at);
  UPDATE ${n.ledger} SET status = 'running', attempts = attempts + 1, owner = p_owner,
      due_at = now() + p_lease_ms * interval '1 millisecond',
      projection = split_part(v_outcome, ':', 1), stale_reason = nullif(split_part(v_outcome, ':', 2), ''), ${COPY}
    WHERE provider = p_provider AND id = p_id RETURNING * INTO e;
  RETURN json_build_object('admitted', true, 'conflict', false, 'entry', ${rowJson('e')});
END
$fn$;

CREATE OR REPLACE FUNCTION ${n.lease}(p_owner text, p_lease_ms float8, p_provider text, p_id text)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  e ${n.ledger}%ROWTYPE;
  v_outcome text;
BEGIN
  IF p_provider IS NULL THEN
    SELECT * INTO e FROM ${n.ledger} WHERE status IN ('pending', 'failed', 'running') AND due_at <= now()
      ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED;
  ELSE
    SELECT * INTO e FROM ${n.ledger} WHERE provider = p_provider AND id = p_id
      AND status IN ('pending', 'failed', 'running') AND due_at <= now() FOR UPDATE SKIP LOCKED;
  END IF;
  IF NOT FOUND THEN RETURN NULL; END IF;
  v_outcome := ${n.project}(e.provider, e.id, e.token_ref, e.state, e.occurred_at);
  UPDATE ${n.ledger} SET status = 'running', owner = p_owner, attempts = attempts + 1,
      due_at = now() + p_lease_ms * interval '1 millisecond',
      projection = split_part(v_outcome, ':', 1), stale_reason = nullif(split_part(v_outcome, ':', 2), '')
    WHERE provider = e.provider AND id = e.id RETURNING * INTO e;
  RETURN ${rowJson('e')};
END
$fn$;`;

export const historySearchRefusals: PostgresMigration = { version: 3, name: 'history, search, refusals', apply: sql };
