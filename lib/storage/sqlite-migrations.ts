import type BetterSqlite3 from 'better-sqlite3';
import { olderVersionActive, schemaNewer } from './schema-version';

/**
 * One numbered step of the schema, applied once, in order; SQLite's own `user_version` records the last one
 * applied. The schema is the sum of the steps: a release that changes what is stored adds one.
 */
interface SqliteMigration {
  readonly version: number;
  readonly name: string;
  readonly apply: (db: BetterSqlite3.Database, now: number, where: string) => void;
}

const has = (db: BetterSqlite3.Database, table: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;

/**
 * The ledger, the token states and their counts (kept by every state change, so the console need not count every
 * token; filled from the states already there, which 0.1 kept in the same table). A database of 0.2, which kept no
 * version, has all of it already: every statement is idempotent for that reason.
 */
const LEDGER = `
CREATE TABLE IF NOT EXISTS ntw_ledger (
  provider TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, owner TEXT,
  due_at INTEGER NOT NULL, last_error TEXT, fingerprint TEXT NOT NULL, conflicts INTEGER NOT NULL DEFAULT 0,
  type TEXT NOT NULL, token_ref TEXT NOT NULL, state TEXT, occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL,
  projection TEXT, stale_reason TEXT, body TEXT NOT NULL,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_ledger_due ON ntw_ledger (due_at) WHERE status IN ('pending', 'failed', 'running');
CREATE INDEX IF NOT EXISTS ntw_ledger_token ON ntw_ledger (provider, token_ref, received_at);
CREATE INDEX IF NOT EXISTS ntw_ledger_status ON ntw_ledger (status, received_at);
CREATE INDEX IF NOT EXISTS ntw_ledger_received_counts ON ntw_ledger (received_at, provider, status);
CREATE INDEX IF NOT EXISTS ntw_ledger_conflicted ON ntw_ledger (received_at) WHERE conflicts > 0;
CREATE TABLE IF NOT EXISTS ntw_token_states (
  provider TEXT NOT NULL, token_ref TEXT NOT NULL, state TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, event_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (provider, token_ref)
) WITHOUT ROWID;
`;

const TOKEN_COUNTS = `
CREATE TABLE ntw_token_counts (provider TEXT NOT NULL, state TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (provider, state)) WITHOUT ROWID;
INSERT INTO ntw_token_counts SELECT provider, state, count(*) FROM ntw_token_states GROUP BY provider, state;
`;

function ledger(db: BetterSqlite3.Database): void {
  db.exec(LEDGER);
  if (!has(db, 'ntw_token_counts')) db.exec(TOKEN_COUNTS);
}

/** ISO 8601 text of the ledger's entry bodies (`2026-01-01T00:00:00.000Z`) as epoch ms, and back. */
const isoToMs = (text: string) => `CAST(round(unixepoch(${text}, 'subsec') * 1000) AS INTEGER)`;
const msToIso = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${ms} / 1000.0, 'unixepoch')`;

const COLUMNS = `provider, id, status, attempts, owner, due_at, last_error, fingerprint, conflicts, type, token_ref, state,
  occurred_at, received_at, projection, stale_reason, body`;

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
 * What 0.1 stored, carried into the ledger, and its tables fenced off, as for PostgreSQL (lib/storage/postgres-migrations.ts
 * says the rules): inbox entries keep their bodies and outcomes; logged events are done when their claim completed,
 * failed otherwise; none has a fingerprint. Refused while a 0.1 process holds a live claim or lease (this transaction
 * holds the write lock, so none can take one meanwhile). 0.1's tables become `ntw_v1_*`, and tables of their names
 * whose every write fails take their place.
 */
function carryForward01(db: BetterSqlite3.Database, now: number, where: string): void {
  if (!has(db, 'ntw_claims') || has(db, 'ntw_v1_claims')) return;
  if (!has(db, 'ntw_events')) db.exec(FENCES.ntw_events);
  if (!has(db, 'ntw_inbox')) db.exec(FENCES.ntw_inbox);
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

const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  { version: 1, name: 'ledger', apply: ledger },
  { version: 2, name: 'carry forward 0.1', apply: carryForward01 },
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.at(-1)!.version;

/**
 * Bring an open database to this version: the steps it lacks, in one IMMEDIATE transaction (one writer at a time,
 * across the processes sharing the file, so each step is applied once). Refuses a database a newer version wrote.
 * `now` is the storage's clock, in ms, for what 0.1 leased.
 */
export function migrateSqlite(db: BetterSqlite3.Database, now: number, where: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() === SQLITE_SCHEMA_VERSION) return;
  db.transaction(() => {
    const from = version();
    if (from > SQLITE_SCHEMA_VERSION) throw schemaNewer(where, from, SQLITE_SCHEMA_VERSION);
    for (const step of SQLITE_MIGRATIONS) if (step.version > from) step.apply(db, now, where);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  }).immediate();
}
