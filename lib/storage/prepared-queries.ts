import { hash } from 'node:crypto';
import type { Pool, QueryResult, QueryResultRow } from 'pg';

/**
 * What PostgreSQL answers when a named statement did not stay on the connection it was prepared on (a pooler
 * in transaction mode hands the next query to another server connection): `26000` "prepared statement ... does
 * not exist" (at Bind) and `42P05` "... already exists" (at Parse). Either way the statement did not run.
 * PgBouncer keeps them from 1.21 when `max_prepared_statements` is above 0 (https://www.pgbouncer.org/config.html#max_prepared_statements);
 * postgres.js prepares by default too and documents `prepare: false` for the poolers that do not.
 */
const NOT_KEPT = new Set(['26000', '42P05']);

/**
 * The queries of the delivery path, as named (prepared) statements: each is parsed and planned once per
 * connection rather than on every call. Off, or once the server shows it does not keep them (`NOT_KEPT`), every
 * query is unnamed; the query that showed it is run again unnamed, which is safe because it did not run.
 */
export class PreparedQueries {
  private readonly names = new Map<string, string>();

  constructor(private readonly pool: Pool, private enabled: boolean, private readonly onUnkept: (error: Error) => void) {}

  /** Whether queries are still sent as named statements. */
  get named(): boolean {
    return this.enabled;
  }

  async query<R extends QueryResultRow>(text: string, values: readonly unknown[]): Promise<QueryResult<R>> {
    if (!this.enabled) return this.pool.query<R>(text, values as unknown[]);
    try {
      return await this.pool.query<R>({ name: this.nameOf(text), text, values: values as unknown[] });
    } catch (error) {
      if (!NOT_KEPT.has((error as { code?: unknown }).code as string)) throw error;
      if (this.enabled) {
        this.enabled = false;
        this.onUnkept(error as Error);
      }
      return this.pool.query<R>(text, values as unknown[]);
    }
  }

  /** A name per text (schema names included): two storages on other schemas never share a name on one connection. */
  private nameOf(text: string): string {
    let name = this.names.get(text);
    if (name === undefined) {
      name = `ntw_${hash('sha256', text, 'hex').slice(0, 24)}`;
      this.names.set(text, name);
    }
    return name;
  }
}
