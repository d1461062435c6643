import type BetterSqlite3 from 'better-sqlite3';

/** Whether the database has a table of that name. */
export const hasTable = (db: BetterSqlite3.Database, table: string): boolean =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
