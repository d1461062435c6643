import type { PostgresNames } from '../../../postgres-schema';
import { ms } from '../../../postgres-schema';
import type { PostgresMigration } from './step';

/**
 * Step 4: `leaseMany`, a batch of due entries leased in one call and one commit, where `lease` takes one.
 *
 * The batch applies each entry's state as `lease` does (`ntw_project`, step by step), in the order of the entries'
 * tokens, and counts the changes once at the end, in key order: a transaction that takes the locks of several tokens
 * and several count rows takes them in one order, the one a delivery's admit and a single lease also follow (the
 * ledger row, then the token, then its count rows by state), so that two batches, or a batch and an admit, never
 * wait on each other in a circle. Entries of one token are applied oldest due first, as single leases would.
 *
 * Nothing stored changes: instances of the previous release keep calling `ntw_lease`, which is left as it was.
 */
const sql = (n: PostgresNames) => `
-- ${n.project} without its count: from_state and to_state say what the token's count moves (equal: nothing).
CREATE OR REPLACE FUNCTION ${n.projectUncounted}(p_provider text, p_id text, p_token_ref text, p_state text, p_occurred_at timestamptz,
  OUT outcome text, OUT from_state text, OUT to_state text)
LANGUAGE plpgsql AS $fn$
DECLARE
  s ${n.states}%ROWTYPE;
BEGIN
  IF p_state IS NULL THEN RETURN; END IF;
  INSERT INTO ${n.states} (provider, token_ref, state, occurred_at, event_id, updated_at)
    VALUES (p_provider, p_token_ref, p_state, p_occurred_at, p_id, now())
    ON CONFLICT (provider, token_ref) DO NOTHING;
  IF FOUND THEN
    outcome := 'changed'; to_state := p_state;
    RETURN;
  END IF;
  SELECT * INTO s FROM ${n.states} WHERE provider = p_provider AND token_ref = p_token_ref FOR UPDATE;
  IF s.event_id = p_id THEN
    UPDATE ${n.states} SET state = p_state, occurred_at = greatest(s.occurred_at, p_occurred_at), updated_at = now()
      WHERE provider = p_provider AND token_ref = p_token_ref;
    outcome := 'changed'; from_state := s.state; to_state := p_state;
  ELSIF s.state = 'DELETED' AND p_state <> 'DELETED' THEN
    outcome := 'stale:after_deleted';
  ELSIF p_occurred_at < s.occurred_at THEN
    outcome := 'stale:out_of_order';
  ELSIF p_state = s.state THEN
    UPDATE ${n.states} SET occurred_at = p_occurred_at, updated_at = now() WHERE provider = p_provider AND token_ref = p_token_ref;
    outcome := 'repeated';
  ELSE
    UPDATE ${n.states} SET state = p_state, occurred_at = p_occurred_at, event_id = p_id, updated_at = now()
      WHERE provider = p_provider AND token_ref = p_token_ref;
    outcome := 'changed'; from_state := s.state; to_state := p_state;
  END IF;
END
$fn$;

-- The due entries in due order from their index, whatever the statistics say: planned on a table whose statistics
-- were taken when it held few due entries (or none: a new table), the query read every due entry and sorted them all.
-- p_from: only entries due from then on (NULL: all). Every lease leaves a dead row version at the front of the due
-- index, which a scan must step over until a vacuum removes it: a caller that knows where the live entries begin
-- starts there. Each row answered carries due_was, when it was due before this lease (epoch ms).
CREATE OR REPLACE FUNCTION ${n.leaseMany}(p_owner text, p_lease_ms float8, p_limit integer, p_from timestamptz)
RETURNS SETOF json LANGUAGE plpgsql SET enable_seqscan = off SET enable_bitmapscan = off SET jit = off AS $fn$
DECLARE
  e ${n.ledger}%ROWTYPE;
  v_due_was float8;
  p record;
  v_providers text[] := '{}';
  v_states text[] := '{}';
  v_slots smallint[] := '{}';
  v_deltas integer[] := '{}';
  v_slot smallint;
BEGIN
  FOR e IN
    SELECT * FROM (SELECT * FROM ${n.ledger} WHERE status IN ('pending', 'failed', 'running') AND due_at <= now()
      AND due_at >= coalesce(p_from, '-infinity') ORDER BY due_at LIMIT p_limit FOR UPDATE SKIP LOCKED) d
    ORDER BY d.provider, d.token_ref, d.due_at
  LOOP
    SELECT * INTO p FROM ${n.projectUncounted}(e.provider, e.id, e.token_ref, e.state, e.occurred_at);
    IF p.from_state IS DISTINCT FROM p.to_state THEN
      v_slot := (hashtext(e.token_ref) & 15)::smallint;
      IF p.from_state IS NOT NULL THEN
        v_providers := v_providers || e.provider; v_states := v_states || p.from_state; v_slots := v_slots || v_slot; v_deltas := v_deltas || -1;
      END IF;
      IF p.to_state IS NOT NULL THEN
        v_providers := v_providers || e.provider; v_states := v_states || p.to_state; v_slots := v_slots || v_slot; v_deltas := v_deltas || 1;
      END IF;
    END IF;
    v_due_was := ${ms('e.due_at')};
    UPDATE ${n.ledger} SET status = 'running', owner = p_owner, attempts = attempts + 1,
        due_at = now() + p_lease_ms * interval '1 millisecond',
        projection = split_part(p.outcome, ':', 1), stale_reason = nullif(split_part(p.outcome, ':', 2), '')
      WHERE provider = e.provider AND id = e.id RETURNING * INTO e;
    RETURN NEXT ((to_jsonb(e) - 'attempt_log' - 'copy_log') || jsonb_build_object('due_was', v_due_was))::json;
  END LOOP;
  -- count rows in key order, as ${n.countToken} takes its two (same provider and slot, states in order)
  INSERT INTO ${n.tokenCounts} AS c (provider, state, slot, count)
    SELECT d.provider, d.state, d.slot, sum(d.delta) FROM unnest(v_providers, v_states, v_slots, v_deltas) AS d(provider, state, slot, delta)
    GROUP BY d.provider, d.state, d.slot HAVING sum(d.delta) <> 0 ORDER BY d.provider, d.state, d.slot
  ON CONFLICT (provider, state, slot) DO UPDATE SET count = c.count + excluded.count;
END
$fn$;`;

export const leaseMany: PostgresMigration = { version: 4, name: 'lease many', apply: sql };
