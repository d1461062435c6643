import type { PostgresNames } from '../../../postgres-schema';
import type { PostgresMigration } from './step';
import { OLDER_VERSION_ACTIVE } from './codes';

/** A time as ISO 8601 text in UTC with milliseconds, as the ledger's entry bodies write dates. */
const isoText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Step 2: what 0.1 stored, carried into the ledger, and its tables fenced off. 0.1 kept claims (`ntw_claims`), the event
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
const sql = (n: PostgresNames) => {
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

export const carryForward01: PostgresMigration = { version: 2, name: 'carry forward 0.1', apply: sql };
