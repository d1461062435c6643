import type { PostgresNames } from './postgres-schema';
import { ms } from './postgres-schema';

/**
 * One numbered step of the schema. Each is applied once, in order, and recorded in `ntw_migrations`; the schema
 * is the sum of the steps. A new release that changes what is stored adds a step: it never edits an applied one.
 */
export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: (n: PostgresNames) => string;
}

/** What a step raises when instances of 0.1 still hold events of this database (it is tried again, then refused). */
export const OLDER_VERSION_ACTIVE = 'NTW01';
/** What the script raises when the schema was written by a newer version than this one. */
export const SCHEMA_NEWER = 'NTW03';

/** `CREATE INDEX` of the ledger, unless an index of that name exists. */
const index = (n: PostgresNames, name: string, definition: string) =>
  `DO $index$ BEGIN IF to_regclass('"${n.schema}".${name}') IS NULL THEN CREATE INDEX ${name} ON ${n.ledger} ${definition}; END IF; END $index$;`;

/** A time as ISO 8601 text in UTC with milliseconds, as the ledger's entry bodies write dates. */
const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The ledger: one row per (provider, id) with its status and lease, the token states and their counts. The
 * transitions that read and then write (admit, lease, each applying the taken entry's state) are functions,
 * so each is one round trip; they follow `ledger-rules.ts` and `projection.ts` step by step. A database of
 * 0.2, which kept no version, has all of it already: every statement here is idempotent for that reason.
 */
const ledger = (n: PostgresNames) => `
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
-- Only when missing: CREATE INDEX IF NOT EXISTS takes the table's SHARE lock before it finds the index, and 0.2
-- instances write to this table while the first 0.3 instance migrates.
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
-- state (by token) so that concurrent changes seldom wait on one row. Filled from the token states already
-- there (kept by 0.1, whose table this is too).
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
  -- An entry carried over from 0.1 has no fingerprint (0.1 kept none): any copy of it is a duplicate.
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

-- The admit of earlier versions, which read the whole row from every answer: an instance of one of them, still
-- running during a rolling upgrade, calls it after this version replaced its body.
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

/**
 * What 0.1 stored, carried into the ledger, and its tables fenced off. 0.1 kept claims (`ntw_claims`), the event
 * log (`ntw_events`) and its inbox (`ntw_inbox`) in tables of their own; the token states are the same table.
 * - an inbox entry keeps its body (the ledger's own format): done, dead, and unfinished ones (pending, or failed
 *   when it ran before) with their attempts and last error;
 * - a logged event is done when its claim completed, and failed otherwise (its run failed or its process died: the
 *   provider's retry runs it), with an entry body built from the event log (0.1 kept no reason or changes);
 * - an entry carried over has no fingerprint (0.1 kept none): any copy of it is a duplicate, never a conflict.
 * Instances of 0.1 still running one of these events would finish it unseen: the step refuses (`NTW01`) while one
 * holds a live claim or lease. Its tables are renamed `ntw_v1_*` (drop them once the upgrade is settled), and
 * tables of their names take their place whose every write fails with a message that says what happened: a 0.1
 * instance still running, or started again, refuses its deliveries (retry-later) instead of running events the
 * ledger does not know of.
 */
const carryForward01 = (n: PostgresNames) => {
  const t = (name: string) => `"${n.schema}".${name}`;
  const [claims, events, inbox] = [t('ntw_claims'), t('ntw_events'), t('ntw_inbox')];
  const fenced = `'network-token-webhooks: this database was upgraded from 0.1 to a version that keeps its events in ntw_ledger; `
    + `stop every 0.1 instance (its writes are refused so that no event runs twice)'`;
  return `
DO $step$
DECLARE
  live integer;
BEGIN
  IF to_regclass('${claims}') IS NOT NULL AND to_regclass('${t('ntw_v1_claims')}') IS NULL THEN
    SET LOCAL lock_timeout = '2s';
    LOCK TABLE ${claims}, ${events} IN ACCESS EXCLUSIVE MODE;
    IF to_regclass('${inbox}') IS NULL THEN
      CREATE TABLE ${inbox} (provider text NOT NULL, id text NOT NULL, body text NOT NULL, status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL, enqueued_at timestamptz NOT NULL,
        owner text, last_error text, PRIMARY KEY (provider, id));
    END IF;
    LOCK TABLE ${inbox} IN ACCESS EXCLUSIVE MODE;
    SELECT (SELECT count(*) FROM ${claims} WHERE completed_at IS NULL AND expires_at > now())
      + (SELECT count(*) FROM ${inbox} WHERE status = 'pending' AND owner IS NOT NULL AND next_attempt_at > now()) INTO live;
    IF live > 0 THEN
      RAISE EXCEPTION USING ERRCODE = '${OLDER_VERSION_ACTIVE}',
        MESSAGE = format('instances of network-token-webhooks 0.1 are running %s event(s) in this database', live);
    END IF;

    INSERT INTO ${n.ledger} AS l (provider, id, status, attempts, owner, due_at, last_error, fingerprint, conflicts, type, token_ref, state,
        occurred_at, received_at, projection, stale_reason, body)
      SELECT i.provider, i.id,
        CASE WHEN i.status IN ('done', 'dead') THEN i.status WHEN i.attempts > 0 THEN 'failed' ELSE 'pending' END,
        i.attempts, NULL, i.next_attempt_at, i.last_error, '', 0,
        b.event->>'type', coalesce(b.event->>'tokenRef', ''), b.event->>'state',
        (b.event->>'occurredAt')::timestamptz, (b.event->>'receivedAt')::timestamptz,
        CASE WHEN e.stale THEN 'stale' END, e.stale_reason, i.body
      FROM ${inbox} i
      CROSS JOIN LATERAL (SELECT i.body::json->'event' AS event) b
      LEFT JOIN ${events} e ON e.provider = i.provider AND e.id = i.id
    ON CONFLICT (provider, id) DO NOTHING;

    INSERT INTO ${n.ledger} AS l (provider, id, status, attempts, owner, due_at, last_error, fingerprint, conflicts, type, token_ref, state,
        occurred_at, received_at, projection, stale_reason, body)
      SELECT e.provider, e.id,
        CASE WHEN c.completed_at IS NOT NULL THEN 'done' ELSE 'failed' END,
        1, NULL, coalesce(c.completed_at, now()),
        CASE WHEN c.completed_at IS NULL THEN 'its last run under network-token-webhooks 0.1 did not complete' END, '', 0,
        e.type, e.token_ref, e.state, e.occurred_at, e.received_at, CASE WHEN e.stale THEN 'stale' END, e.stale_reason,
        json_build_object('event', json_strip_nulls(json_build_object('id', e.id, 'provider', e.provider, 'type', e.type,
          'tokenRef', e.token_ref, 'state', e.state, 'changes', '[]'::json,
          'occurredAt', ${isoText('e.occurred_at')}, 'receivedAt', ${isoText('e.received_at')})), 'payload', e.payload)::text
      FROM ${events} e
      LEFT JOIN ${claims} c ON c.provider = e.provider AND c.id = e.id
    ON CONFLICT (provider, id) DO NOTHING;

    ALTER TABLE ${claims} RENAME TO ntw_v1_claims;
    ALTER TABLE ${events} RENAME TO ntw_v1_events;
    ALTER TABLE ${inbox} RENAME TO ntw_v1_inbox;
    -- their own constraint names: the renamed tables keep 0.1's (ntw_claims_pkey, ...)
    CREATE TABLE ${claims} (provider text NOT NULL, id text NOT NULL, owner text NOT NULL,
      expires_at timestamptz NOT NULL, completed_at timestamptz, CONSTRAINT ntw_fenced_claims_key PRIMARY KEY (provider, id));
    CREATE TABLE ${events} (provider text NOT NULL, id text NOT NULL, type text NOT NULL, token_ref text NOT NULL,
      state text, occurred_at timestamptz NOT NULL, received_at timestamptz NOT NULL, stale boolean NOT NULL, stale_reason text,
      payload json, CONSTRAINT ntw_fenced_events_key PRIMARY KEY (provider, id));
    CREATE TABLE ${inbox} (provider text NOT NULL, id text NOT NULL, body text NOT NULL, status text NOT NULL,
      attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz NOT NULL, enqueued_at timestamptz NOT NULL,
      owner text, last_error text, CONSTRAINT ntw_fenced_inbox_key PRIMARY KEY (provider, id));
    CREATE OR REPLACE FUNCTION ${t('ntw_refuse_v1')}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION USING ERRCODE = '${OLDER_VERSION_ACTIVE}', MESSAGE = ${fenced};
    END
    $fn$;
    CREATE TRIGGER ntw_upgraded BEFORE INSERT OR UPDATE OR DELETE ON ${claims} FOR EACH STATEMENT EXECUTE FUNCTION ${t('ntw_refuse_v1')}();
    CREATE TRIGGER ntw_upgraded BEFORE INSERT OR UPDATE OR DELETE ON ${events} FOR EACH STATEMENT EXECUTE FUNCTION ${t('ntw_refuse_v1')}();
    CREATE TRIGGER ntw_upgraded BEFORE INSERT OR UPDATE OR DELETE ON ${inbox} FOR EACH STATEMENT EXECUTE FUNCTION ${t('ntw_refuse_v1')}();
  END IF;
END
$step$;`;
};

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: 'ledger', sql: ledger },
  { version: 2, name: 'carry forward 0.1', sql: carryForward01 },
];

/** The schema version this release writes and reads. */
export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)!.version;

/**
 * Every step as one script, safe to run again and from several instances at once: under an advisory lock, it
 * records each step it applies in `ntw_migrations` and skips those recorded, and refuses (`NTW03`) a schema that a
 * newer version wrote. What `PostgresStorage` runs at `init()`, and what `network-token-webhooks migrate --print
 * postgres` prints for a role that may change the schema (run it with `psql -v ON_ERROR_STOP=1 --single-transaction`).
 */
export function postgresMigrationScript(n: PostgresNames): string {
  const steps = POSTGRES_MIGRATIONS.map((m) => `
-- ${m.version}: ${m.name}
DO $migration$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM ${n.migrations} WHERE version = ${m.version}) THEN
    EXECUTE $ntw_step_${m.version}$${m.sql(n)}
$ntw_step_${m.version}$;
    INSERT INTO ${n.migrations} (version, name) VALUES (${m.version}, '${m.name}');
  END IF;
END $migration$;`).join('\n');
  return `-- network-token-webhooks: the schema "${n.schema}", version ${POSTGRES_SCHEMA_VERSION}
SELECT pg_advisory_xact_lock(hashtext('network-token-webhooks:${n.schema}'));
${n.schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${n.schema}";`}
CREATE TABLE IF NOT EXISTS ${n.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());
DO $migration$ BEGIN
  IF (SELECT max(version) FROM ${n.migrations}) > ${POSTGRES_SCHEMA_VERSION} THEN
    RAISE EXCEPTION USING ERRCODE = '${SCHEMA_NEWER}',
      MESSAGE = format('the schema "${n.schema}" is at version %s, written by a newer network-token-webhooks than this one (${POSTGRES_SCHEMA_VERSION})',
        (SELECT max(version) FROM ${n.migrations}));
  END IF;
END $migration$;
${steps}
`;
}

/** The version `ntw_migrations` records: 0 when it does not exist (a database of 0.1 or 0.2, or none). */
export async function postgresSchemaVersion(query: (sql: string) => Promise<{ rows: { version: number | null }[] }>, n: PostgresNames): Promise<number> {
  const present = await query(`SELECT CASE WHEN to_regclass('${n.migrations}') IS NULL THEN 0 ELSE 1 END AS version`);
  if (!present.rows[0]?.version) return 0;
  return Number((await query(`SELECT max(version) AS version FROM ${n.migrations}`)).rows[0]?.version ?? 0);
}
