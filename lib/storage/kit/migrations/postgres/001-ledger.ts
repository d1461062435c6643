import type { PostgresNames } from '../../../postgres-schema';
import { ms } from '../../../postgres-schema';
import type { PostgresMigration } from './step';

/**
 * `CREATE INDEX` on the ledger only when no index of that name exists: `CREATE INDEX IF NOT EXISTS` takes the
 * table's SHARE lock before it finds the index, which would stop every instance writing to the table meanwhile.
 */
const index = (n: PostgresNames, name: string, definition: string) =>
  `DO $index$ BEGIN IF to_regclass('"${n.schema}".${name}') IS NULL THEN CREATE INDEX ${name} ON ${n.ledger} ${definition}; END IF; END $index$;`;

/**
 * Step 1: the ledger, one row per (provider, id) with its status and lease; the token states and their counts. The
 * transitions that read and then write (admit, lease, each applying the taken entry's state) are functions, so each
 * is one round trip; they follow `ledger-rules.ts` and `projection.ts` step by step.
 */
const sql = (n: PostgresNames) => `
CREATE TABLE IF NOT EXISTS ${n.ledger} (
  provider text NOT NULL,
  id text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL,
  owner text,
  due_at timestamptz NOT NULL,
  last_error text,
  fingerprint text NOT NULL,
  conflicts integer NOT NULL DEFAULT 0,
  type text NOT NULL,
  token_ref text NOT NULL,
  state text,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  projection text,
  stale_reason text,
  body text NOT NULL,
  PRIMARY KEY (provider, id)
);
${index(n, 'ntw_ledger_due', `(due_at) WHERE status IN ('pending', 'failed', 'running')`)}
${index(n, 'ntw_ledger_token', `(provider, token_ref, received_at)`)}
${index(n, 'ntw_ledger_status', `(status, received_at)`)}
${index(n, 'ntw_ledger_id', `(id)`)}
${index(n, 'ntw_ledger_received_counts', `(received_at, provider, status)`)}
${index(n, 'ntw_ledger_conflicted', `(received_at) WHERE conflicts > 0`)}
CREATE TABLE IF NOT EXISTS ${n.states} (
  provider text NOT NULL,
  token_ref text NOT NULL,
  state text NOT NULL,
  occurred_at timestamptz NOT NULL,
  event_id text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (provider, token_ref)
);
-- Tokens by provider and state, kept by every state change in its transaction, spread over 16 slots per
-- state (by token) so that concurrent changes seldom wait on one row; counted from the token states present.
DO $do$ BEGIN
  IF to_regclass('${n.tokenCounts}') IS NULL THEN
    CREATE TABLE ${n.tokenCounts} (provider text NOT NULL, state text NOT NULL, slot smallint NOT NULL, count bigint NOT NULL,
      PRIMARY KEY (provider, state, slot));
    INSERT INTO ${n.tokenCounts} SELECT provider, state, 0, count(*) FROM ${n.states} GROUP BY provider, state;
  END IF;
END $do$;

-- PL/pgSQL, not SQL: a SQL function's statement is planned again on every call, a PL/pgSQL one's plan is kept
-- for the session (measured: 75 µs a call against 18).
CREATE OR REPLACE FUNCTION ${n.countToken}(p_provider text, p_token_ref text, p_from text, p_to text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF p_from IS NOT DISTINCT FROM p_to THEN RETURN; END IF;
  -- rows in state order, so two changes between the same states lock them in the same order
  INSERT INTO ${n.tokenCounts} AS c (provider, state, slot, count)
    SELECT p_provider, d.state, (hashtext(p_token_ref) & 15)::smallint, d.delta
    FROM (VALUES (p_from, -1), (p_to, 1)) AS d(state, delta) WHERE d.state IS NOT NULL ORDER BY d.state
  ON CONFLICT (provider, state, slot) DO UPDATE SET count = c.count + excluded.count;
END
$fn$;

CREATE OR REPLACE FUNCTION ${n.project}(p_provider text, p_id text, p_token_ref text, p_state text, p_occurred_at timestamptz)
RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  s ${n.states}%ROWTYPE;
BEGIN
  IF p_state IS NULL THEN RETURN NULL; END IF;
  INSERT INTO ${n.states} (provider, token_ref, state, occurred_at, event_id, updated_at)
    VALUES (p_provider, p_token_ref, p_state, p_occurred_at, p_id, now())
    ON CONFLICT (provider, token_ref) DO NOTHING;
  IF FOUND THEN
    PERFORM ${n.countToken}(p_provider, p_token_ref, NULL, p_state);
    RETURN 'changed';
  END IF;
  SELECT * INTO s FROM ${n.states} WHERE provider = p_provider AND token_ref = p_token_ref FOR UPDATE;
  IF s.event_id = p_id THEN
    UPDATE ${n.states} SET state = p_state, occurred_at = greatest(s.occurred_at, p_occurred_at), updated_at = now()
      WHERE provider = p_provider AND token_ref = p_token_ref;
    PERFORM ${n.countToken}(p_provider, p_token_ref, s.state, p_state);
    RETURN 'changed';
  ELSIF s.state = 'DELETED' AND p_state <> 'DELETED' THEN
    RETURN 'stale:after_deleted';
  ELSIF p_occurred_at < s.occurred_at THEN
    RETURN 'stale:out_of_order';
  ELSIF p_state = s.state THEN
    UPDATE ${n.states} SET occurred_at = p_occurred_at, updated_at = now() WHERE provider = p_provider AND token_ref = p_token_ref;
    RETURN 'repeated';
  END IF;
  UPDATE ${n.states} SET state = p_state, occurred_at = p_occurred_at, event_id = p_id, updated_at = now()
    WHERE provider = p_provider AND token_ref = p_token_ref;
  PERFORM ${n.countToken}(p_provider, p_token_ref, s.state, p_state);
  RETURN 'changed';
END
$fn$;

-- Admits of one id are serialized by a transaction lock on it, so that a new entry's state is applied before
-- the entry is inserted, with its outcome: one row version, where inserting first and then recording the
-- outcome wrote two (and their index entries).
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
      'attempts', e.attempts, 'due_at', ${ms('e.due_at')}, 'last_error', e.last_error, 'projection', e.projection,
      'stale_reason', e.stale_reason));
  END IF;
  -- An entry stored without a fingerprint ('') meets no conflict: any copy of it is a duplicate.
  IF e.fingerprint <> p_fingerprint AND e.fingerprint <> '' THEN
    UPDATE ${n.ledger} SET conflicts = conflicts + 1 WHERE provider = p_provider AND id = p_id RETURNING * INTO e;
    RETURN json_build_object('admitted', false, 'conflict', true, 'entry', row_to_json(e));
  END IF;
  IF p_as <> 'running' OR NOT (e.status IN ('pending', 'failed', 'dead') OR (e.status = 'running' AND e.due_at <= now())) THEN
    RETURN json_build_object('admitted', false, 'conflict', false, 'entry', row_to_json(e));
  END IF;
  v_outcome := ${n.project}(e.provider, e.id, e.token_ref, e.state, e.occurred_at);
  UPDATE ${n.ledger} SET status = 'running', attempts = attempts + 1, owner = p_owner,
      due_at = now() + p_lease_ms * interval '1 millisecond',
      projection = split_part(v_outcome, ':', 1), stale_reason = nullif(split_part(v_outcome, ':', 2), '')
    WHERE provider = p_provider AND id = p_id RETURNING * INTO e;
  RETURN json_build_object('admitted', true, 'conflict', false, 'entry', row_to_json(e));
END
$fn$;

-- The same admit, answering the whole row for a new entry too: for callers that read every column of the answer.
CREATE OR REPLACE FUNCTION ${n.admitWholeRow}(p_provider text, p_id text, p_type text, p_token_ref text, p_state text,
  p_occurred_at timestamptz, p_received_at timestamptz, p_fingerprint text, p_body text,
  p_as text, p_owner text, p_lease_ms float8, p_error text)
RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  r json;
  e ${n.ledger}%ROWTYPE;
BEGIN
  r := ${n.admit}(p_provider, p_id, p_type, p_token_ref, p_state, p_occurred_at, p_received_at, p_fingerprint, p_body,
    p_as, p_owner, p_lease_ms, p_error);
  IF r->'created' IS NULL THEN RETURN r; END IF;
  SELECT * INTO e FROM ${n.ledger} WHERE provider = p_provider AND id = p_id;
  RETURN json_build_object('admitted', true, 'conflict', false, 'entry', row_to_json(e));
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
  RETURN row_to_json(e);
END
$fn$;`;

export const ledger: PostgresMigration = { version: 1, name: 'ledger', apply: sql };
