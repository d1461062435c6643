/**
 * Statistics for the ledger while nothing else has gathered them.
 *
 * PostgreSQL plans the lookup of one entry by (provider, id), in the admit function and in the prepared statements,
 * from the ledger's statistics, and keeps that plan for the connection's life. On a ledger never analyzed every index
 * that starts with `provider` looks as cheap as the primary key, and the planner may take one of them
 * (`ntw_ledger_provider`, of step 3): each lookup then reads every entry of the provider. Measured on a new schema
 * with autovacuum off: deliveries answered 30% fewer a second, with PostgreSQL's time going to that scan. Autovacuum
 * analyzes a new table within about a minute of its first rows; where it is off or behind, the storage does, once.
 *
 * An `ANALYZE` of the ledger replaces every plan that depends on it, in every connection of every instance. It takes
 * no lock that stops a write, and a role that does not own the ledger only gets a warning from it.
 */
import type { PostgresNames } from './postgres-schema';

/** The entries this instance creates in a ledger never analyzed before it analyzes it (the row count of a ledger found so at start, too). */
export const ANALYZE_AFTER_ENTRIES = 500;

export interface StatisticsQueries {
  /** `sql`'s first row. */
  readonly row: (sql: string) => Promise<Record<string, unknown> | undefined>;
  readonly run: (sql: string) => Promise<void>;
  readonly failed: (error: Error) => void;
}

/** Watches the entries this instance creates and analyzes the ledger once, when PostgreSQL has no statistics of it. */
export class LedgerStatistics {
  /** Entries still to create before the next look; `Infinity` once nothing is left to do. */
  private left = Infinity;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly names: PostgresNames, private readonly queries: StatisticsQueries) {}

  /** At start: analyze now if the ledger already holds entries but no statistics; watch the entries created if it holds neither. */
  start(): Promise<void> {
    return this.look();
  }

  /** An entry this instance created. */
  created(): void {
    if (--this.left <= 0) {
      this.left = Infinity;
      void this.look();
    }
  }

  /** Resolves once no look or `ANALYZE` is running (for `close()` and tests). */
  idle(): Promise<void> {
    return this.running;
  }

  private look(): Promise<void> {
    this.running = this.running.then(() => this.lookNow()).catch((error: Error) => this.queries.failed(error));
    return this.running;
  }

  private async lookNow(): Promise<void> {
    // reltuples: -1 before the first ANALYZE or VACUUM (PostgreSQL 14 and later), 0 for an empty table and before 14
    const row = await this.queries.row(`SELECT c.reltuples::float8 AS planned, (SELECT count(*) FROM (SELECT 1 FROM ${this.names.ledger}
        LIMIT ${ANALYZE_AFTER_ENTRIES}) s)::integer AS present FROM pg_class c WHERE c.oid = to_regclass('${this.names.ledger}')`);
    if (!row || Number(row['planned']) > 0) return;
    if (Number(row['present']) >= ANALYZE_AFTER_ENTRIES) {
      await this.queries.run(`ANALYZE ${this.names.ledger}`);
      return;
    }
    this.left = ANALYZE_AFTER_ENTRIES - Number(row['present']);
  }
}
