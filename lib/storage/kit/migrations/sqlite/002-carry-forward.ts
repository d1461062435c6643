import type BetterSqlite3 from 'better-sqlite3';
import { LEDGER_COLUMNS } from '../../row';
import { olderVersionActive } from '../schema-version';
import { hasTable } from './has-table';
import type { SqliteMigration } from './step';

/** ISO 8601 text of the ledger's entry bodies (`2026-01-01T00:00:00.000Z`) as epoch ms, and back. */
const isoToMs = (text: string) => `CAST(round(unixepoch(${text}, 'subsec') * 1000) AS INTEGER)`;
const msToIso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

const COLUMNS = LEDGER_COLUMNS.join(', ');

const FENCED = 'network-token-webhooks: this database was upgraded from 0.1 to a version that keeps its events in ntw_ledger; '
  + 'stop every 0.1 instance (its writes are refused so that no event runs twice)';

/** 0.1's tables, as it created them: in their place after the upgrade, with every write refused. */
const FENCES = {
  ntw_claims: `CREATE TABLE ntw_claims (provider TEXT NOT NULL, id TEXT NOT NULL, owner TEXT NOT NULL, expires_at INTEGER NOT NULL,
    completed_at INTEGER, PRIMARY KEY (provider, id)) WITHOUT ROWID`,
  ntw_events: `CREATE TABLE ntw_events (provider TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, token_ref TEXT NOT NULL, state TEXT,
    occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, stale INTEGER NOT NULL, stale_reason TEXT, payload TEXT, PRIMARY KEY (provider, id))`,
  ntw_inbox: `CREATE TABLE ntw_inbox (provider TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, owner TEXT, last_error TEXT,
    PRIMARY KEY (provider, id))`,
} as const;

/**
 * Step 2: what 0.1 stored, carried into the ledger, and its tables fenced off, as for PostgreSQL (its step 2 says the
 * rules): inbox entries keep their bodies and outcomes; logged events are done when their claim completed,
 * failed otherwise; none has a fingerprint. Refused while a 0.1 process holds a live claim or lease (this transaction
 * holds the write lock, so none can take one meanwhile). 0.1's tables become `ntw_v1_*`, and tables of their names
 * whose every write fails take their place.
 */
function apply(db: BetterSqlite3.Database, now: number, where: string): void {
  if (!hasTable(db, 'ntw_claims') || hasTable(db, 'ntw_v1_claims')) return;
  if (!hasTable(db, 'ntw_events')) db.exec(FENCES.ntw_events);
  if (!hasTable(db, 'ntw_inbox')) db.exec(FENCES.ntw_inbox);
  const { live } = db.prepare(`SELECT (SELECT count(*) FROM ntw_claims WHERE completed_at IS NULL AND expires_at > ?)
    + (SELECT count(*) FROM ntw_inbox WHERE status = 'pending' AND owner IS NOT NULL AND next_attempt_at > ?) AS live`).get(now, now) as { live: number };
  if (live > 0) throw olderVersionActive(where, `instances of network-token-webhooks 0.1 are running ${live} event(s) in this database`);

  db.exec(`INSERT INTO ntw_ledger (${COLUMNS})
    SELECT i.provider, i.id,
      CASE WHEN i.status IN ('done', 'dead') THEN i.status WHEN i.attempts > 0 THEN 'failed' ELSE 'pending' END,
      i.attempts, NULL, i.next_attempt_at, i.last_error, '', 0,
      json_extract(i.body, '$.event.type'), coalesce(json_extract(i.body, '$.event.tokenRef'), ''), json_extract(i.body, '$.event.state'),
      ${isoToMs("json_extract(i.body, '$.event.occurredAt')")}, ${isoToMs("json_extract(i.body, '$.event.receivedAt')")},
      CASE WHEN e.stale THEN 'stale' END, e.stale_reason, i.body
    FROM ntw_inbox i LEFT JOIN ntw_events e ON e.provider = i.provider AND e.id = i.id
    WHERE true
    ON CONFLICT (provider, id) DO NOTHING`);

  db.prepare(`INSERT INTO ntw_ledger (${COLUMNS})
    SELECT e.provider, e.id,
      CASE WHEN c.completed_at IS NOT NULL THEN 'done' ELSE 'failed' END,
      1, NULL, coalesce(c.completed_at, ?),
      CASE WHEN c.completed_at IS NULL THEN 'its last run under network-token-webhooks 0.1 did not complete' END, '', 0,
      e.type, e.token_ref, e.state, e.occurred_at, e.received_at, CASE WHEN e.stale THEN 'stale' END, e.stale_reason,
      json_object('event', json_patch(json_object('id', e.id, 'provider', e.provider, 'type', e.type, 'tokenRef', e.token_ref,
        'changes', json('[]'), 'occurredAt', ${msToIso('e.occurred_at')}, 'receivedAt', ${msToIso('e.received_at')}),
        json_object('state', e.state)), 'payload', json(e.payload))
    FROM ntw_events e LEFT JOIN ntw_claims c ON c.provider = e.provider AND c.id = e.id
    WHERE true
    ON CONFLICT (provider, id) DO NOTHING`).run(now);

  for (const [table, create] of Object.entries(FENCES)) {
    db.exec(`ALTER TABLE ${table} RENAME TO ${table.replace('ntw_', 'ntw_v1_')}`);
    db.exec(create);
    for (const operation of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TRIGGER ${table}_upgraded_${operation.toLowerCase()} BEFORE ${operation} ON ${table}
        BEGIN SELECT RAISE(ABORT, '${FENCED}'); END`);
    }
  }
}

export const carryForward01: SqliteMigration = { version: 2, name: 'carry forward 0.1', apply };
