import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteMigration } from './step';

const hasColumn = (db: BetterSqlite3.Database, table: string, column: string): boolean =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).some((c) => c.name === column);

/**
 * Step 3: each entry's history, kept in its row so that pruning the entry prunes it: its attempt log (`attempt_log`)
 * and the copies of its id that arrived (`copy_log`), each a JSON array of the newest 20, empty (`NULL`) for the
 * entries already stored. An index of each provider's entries by receipt, for the console's filter by provider (its
 * other searches use the indexes there are). The refusals of the fleet, by minute, provider, status and code.
 */
function apply(db: BetterSqlite3.Database): void {
  if (!hasColumn(db, 'ntw_ledger', 'attempt_log')) db.exec('ALTER TABLE ntw_ledger ADD COLUMN attempt_log TEXT');
  if (!hasColumn(db, 'ntw_ledger', 'copy_log')) db.exec('ALTER TABLE ntw_ledger ADD COLUMN copy_log TEXT');
  db.exec(`
CREATE INDEX IF NOT EXISTS ntw_ledger_provider ON ntw_ledger (provider, received_at, id);
CREATE TABLE IF NOT EXISTS ntw_refusals (
  minute INTEGER NOT NULL, provider TEXT NOT NULL, status INTEGER NOT NULL, code TEXT NOT NULL,
  count INTEGER NOT NULL, last_at INTEGER NOT NULL,
  PRIMARY KEY (minute, provider, status, code)
) WITHOUT ROWID;
`);
}

export const historySearchRefusals: SqliteMigration = { version: 3, name: 'history, search, refusals', apply };
