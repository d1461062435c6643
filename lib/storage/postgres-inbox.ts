import type { Pool } from 'pg';
import type { EventKey } from './storage';
import type { InboxEntry, InboxItem, InboxListQuery, InboxStorage } from './inbox';
import { entryFromRow } from './row';
import type { InboxRow } from './row';
import { ms } from './postgres-schema';

/** The inbox table of a PostgresStorage: `"<schema>".ntw_inbox`. */
export const postgresInboxTable = (schema: string) => `"${schema}".ntw_inbox`;

export function postgresInboxDdl(table: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${table} (
  provider text NOT NULL,
  id text NOT NULL,
  body text NOT NULL,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  enqueued_at timestamptz NOT NULL,
  owner text,
  last_error text,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_inbox_due ON ${table} (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS ntw_inbox_status ON ${table} (status, enqueued_at);`;
}

const COLUMNS = `provider, id, body, status, attempts, ${ms('next_attempt_at')} AS next_attempt_at,
  ${ms('enqueued_at')} AS enqueued_at, last_error`;

const iso = (date: Date) => date.toISOString();

/**
 * The inbox queue in PostgreSQL. `leaseNext` is one `UPDATE … WHERE (provider, id) = (SELECT …
 * FOR UPDATE SKIP LOCKED)`: concurrent workers on any number of instances each take a different
 * row without waiting on each other, and a row whose lease ran out is due again.
 */
export class PostgresInbox implements InboxStorage {
  constructor(private readonly pool: Pick<Pool, 'query'>, private readonly table: string) {}

  async enqueue(item: InboxItem): Promise<boolean> {
    const result = await this.pool.query(`INSERT INTO ${this.table} (provider, id, body, status, attempts, next_attempt_at, enqueued_at)
      VALUES ($1, $2, $3, 'pending', 0, $4::timestamptz, $4::timestamptz) ON CONFLICT (provider, id) DO NOTHING`,
    [item.provider, item.id, item.body, iso(item.enqueuedAt)]);
    return result.rowCount === 1;
  }

  async leaseNext(owner: string, leaseMs: number, now: Date): Promise<InboxEntry | undefined> {
    const t = this.table;
    const result = await this.pool.query<InboxRow>(`UPDATE ${t} SET owner = $1, attempts = attempts + 1,
        next_attempt_at = $2::timestamptz + $3 * interval '1 millisecond'
      WHERE (provider, id) = (SELECT provider, id FROM ${t} WHERE status = 'pending' AND next_attempt_at <= $2::timestamptz
        ORDER BY next_attempt_at, enqueued_at LIMIT 1 FOR UPDATE SKIP LOCKED)
      RETURNING ${COLUMNS}`, [owner, iso(now), leaseMs]);
    return result.rows[0] && entryFromRow(result.rows[0]);
  }

  async markDone(key: EventKey, _owner: string, now: Date): Promise<void> {
    await this.pool.query(`UPDATE ${this.table} SET status = 'done', owner = NULL, next_attempt_at = $3::timestamptz
      WHERE provider = $1 AND id = $2 AND status = 'pending'`, [key.provider, key.id, iso(now)]);
  }

  async markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.table} SET owner = NULL, next_attempt_at = $4::timestamptz, last_error = $5
      WHERE provider = $1 AND id = $2 AND owner = $3 AND status = 'pending'`, [key.provider, key.id, owner, iso(nextAttemptAt), error]);
  }

  async markDead(key: EventKey, owner: string, error: string, now: Date): Promise<void> {
    await this.pool.query(`UPDATE ${this.table} SET status = 'dead', owner = NULL, next_attempt_at = $5::timestamptz, last_error = $4
      WHERE provider = $1 AND id = $2 AND owner = $3 AND status = 'pending'`, [key.provider, key.id, owner, error, iso(now)]);
  }

  async extendLease(key: EventKey, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${this.table} SET next_attempt_at = $4::timestamptz + $5 * interval '1 millisecond'
      WHERE provider = $1 AND id = $2 AND owner = $3 AND status = 'pending'`, [key.provider, key.id, owner, iso(now), leaseMs]);
    return result.rowCount === 1;
  }

  async getInboxEntry(key: EventKey): Promise<InboxEntry | undefined> {
    const result = await this.pool.query<InboxRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE provider = $1 AND id = $2`, [key.provider, key.id]);
    return result.rows[0] && entryFromRow(result.rows[0]);
  }

  async listDeadLetters(query: InboxListQuery = {}): Promise<InboxEntry[]> {
    const result = await this.pool.query<InboxRow>(`SELECT ${COLUMNS} FROM ${this.table} WHERE status = 'dead'
      ORDER BY enqueued_at, provider, id LIMIT $1`, [query.limit ?? 100]);
    return result.rows.map(entryFromRow);
  }

  async requeue(id: string, provider: string | undefined, now: Date): Promise<number> {
    const result = await this.pool.query(`UPDATE ${this.table} SET status = 'pending', attempts = 0, owner = NULL,
        next_attempt_at = $3::timestamptz
      WHERE id = $1 AND ($2::text IS NULL OR provider = $2) AND status <> 'pending'`, [id, provider ?? null, iso(now)]);
    return result.rowCount ?? 0;
  }

  async pruneInbox(olderThan: Date): Promise<number> {
    const result = await this.pool.query(`DELETE FROM ${this.table} WHERE status = 'done' AND enqueued_at < $1::timestamptz`, [iso(olderThan)]);
    return result.rowCount ?? 0;
  }
}
