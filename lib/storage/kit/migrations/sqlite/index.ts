import type BetterSqlite3 from 'better-sqlite3';
import { latestVersion, pendingSteps } from '../steps';
import type { SqliteMigration } from './step';
import { ledger } from './001-ledger';
import { carryForward01 } from './002-carry-forward';
import { historySearchRefusals } from './003-history-search-refusals';

export type { SqliteMigration } from './step';

/** SQLite's steps, in order. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [ledger, carryForward01, historySearchRefusals];

/** The schema version this release writes and reads: the file's `user_version`. */
export const SQLITE_SCHEMA_VERSION = latestVersion(SQLITE_MIGRATIONS);

/**
 * Bring an open database to this version: the steps it lacks, in one IMMEDIATE transaction (one writer at a time,
 * across the processes sharing the file, so each step is applied once). Refuses a database a newer version wrote.
 * `now` is the storage's clock, in ms, for what 0.1 leased.
 */
export function migrateSqlite(db: BetterSqlite3.Database, now: number, where: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  if (version() === SQLITE_SCHEMA_VERSION) return;
  db.transaction(() => {
    for (const step of pendingSteps(SQLITE_MIGRATIONS, version(), where)) step.apply(db, now, where);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
  }).immediate();
}
