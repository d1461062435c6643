import type BetterSqlite3 from 'better-sqlite3';
import { hasTable } from './has-table';
import type { SqliteMigration } from './step';

/**
 * Step 1: the ledger (one row per (provider, id) with its status and lease), the token states, and the tokens counted
 * by provider and state (kept by every state change, so the console need not count every token; counted from the
 * states present when created).
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

function apply(db: BetterSqlite3.Database): void {
  db.exec(LEDGER);
  if (!hasTable(db, 'ntw_token_counts')) db.exec(TOKEN_COUNTS);
}

export const ledger: SqliteMigration = { version: 1, name: 'ledger', apply };
