import type BetterSqlite3 from 'better-sqlite3';
import type { MigrationStep } from '../steps';

/**
 * One step of SQLite's schema, run on the open database inside the migration's transaction, with the storage's clock
 * (`now`, epoch ms) and where the file is (for error messages).
 */
export type SqliteMigration = MigrationStep<(db: BetterSqlite3.Database, now: number, where: string) => void>;
