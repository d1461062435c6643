import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { Admission, Admit, Entry, EntryQuery, EntryRecord, EventKey, PruneResult, Settlement, Storage, TokenStateRecord } from './storage';
import { loadDriver } from './driver';
import { entryFromRow, stateFromRow } from './row';
import type { EntryRow, StateRow } from './row';
import { ENTRY_COLUMNS, postgresDdl, postgresNames } from './postgres-schema';
import type { PostgresNames } from './postgres-schema';
import { logger } from '../log';

const log = logger('storage:postgres');

export interface PostgresStorageOptions {
  /** e.g. `postgres://user:pass@host:5432/db` (`DATABASE_URL`). Ignored when `pool` is given. */
  readonly connectionString?: string;
  /** An existing pool: the storage uses it and never ends it. */
  readonly pool?: Pool;
  /** Further settings for the pool the storage creates (max connections, TLS, ...). */
  readonly poolConfig?: PoolConfig;
  /** Schema of the tables, created when missing. Default `public`. */
  readonly schema?: string;
}

const isPool = (value: unknown): value is Pool =>
  typeof value === 'object' && value !== null && typeof (value as Pool).query === 'function' && typeof (value as Pool).connect === 'function';

interface AdmitJson {
  readonly admitted: boolean;
  readonly conflict: boolean;
  readonly entry: EntryRow;
}

const iso = (date: Date) => date.toISOString();

/**
 * Storage in PostgreSQL (`pg`), for several app instances sharing one database. Leases are judged by the
 * database clock (`now()`). Every transition is one round trip: admitting and leasing (each applying the
 * taken entry's state to its token) are functions, settling one `UPDATE`. Leasing uses `FOR UPDATE SKIP
 * LOCKED`, so workers on any number of instances each take a different entry without waiting on each other.
 */
export class PostgresStorage implements Storage {
  readonly names: PostgresNames;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private closed = false;

  constructor(options: string | Pool | PostgresStorageOptions) {
    const opts: PostgresStorageOptions = typeof options === 'string' ? { connectionString: options } : isPool(options) ? { pool: options } : options;
    this.names = postgresNames(opts.schema ?? 'public');
    if (opts.pool) {
      this.pool = opts.pool;
      this.ownsPool = false;
    } else {
      const pg = loadDriver<typeof import('pg')>('pg', 'PostgresStorage');
      this.pool = new pg.Pool({ connectionTimeoutMillis: 5000, ...opts.poolConfig, connectionString: opts.connectionString ?? opts.poolConfig?.connectionString });
      // An idle connection that breaks (database restart) must not crash the app: the next query reconnects.
      this.pool.on('error', (error) => log('idle connection error: %s', error.message));
      this.ownsPool = true;
    }
  }

  /** Create the schema, tables, indexes and functions when missing (idempotent, safe with several instances starting at once). */
  async init(): Promise<void> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`network-token-webhooks:${this.names.schema}`]);
      await client.query(postgresDdl(this.names));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
      throw error;
    } finally {
      client.release(broken);
    }
    log('tables ready in schema %s', this.names.schema);
  }

  async close(): Promise<void> {
    if (this.closed || !this.ownsPool) return;
    this.closed = true;
    await this.pool.end();
  }

  async admit(record: EntryRecord, admit: Admit): Promise<Admission> {
    const result = await this.pool.query<{ r: AdmitJson }>(`SELECT ${this.names.admit}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) AS r`, [
      record.provider, record.id, record.type, record.tokenRef, record.state ?? null, iso(record.occurredAt), iso(record.receivedAt),
      record.fingerprint, record.body, admit.as, admit.as === 'running' ? admit.owner : null, admit.as === 'running' ? admit.leaseMs : null,
      admit.as === 'quarantined' ? admit.error : null,
    ]);
    const reply = result.rows[0]!.r;
    const entry = entryFromRow(reply.entry);
    return reply.admitted ? { admitted: true, entry } : { admitted: false, entry, conflict: reply.conflict };
  }

  async lease(owner: string, leaseMs: number, key?: EventKey): Promise<Entry | undefined> {
    const result = await this.pool.query<{ r: EntryRow | null }>(`SELECT ${this.names.lease}($1, $2, $3, $4) AS r`,
      [owner, leaseMs, key?.provider ?? null, key?.id ?? null]);
    const row = result.rows[0]?.r;
    return row ? entryFromRow(row) : undefined;
  }

  async extend(key: EventKey, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${this.names.ledger} SET due_at = now() + $4 * interval '1 millisecond'
      WHERE provider = $1 AND id = $2 AND status = 'running' AND owner = $3 AND due_at > now()`, [key.provider, key.id, owner, leaseMs]);
    return result.rowCount === 1;
  }

  async settle(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    const result = settlement.status === 'done'
      ? await this.pool.query(`UPDATE ${this.names.ledger} SET status = 'done', owner = NULL, due_at = now()
        WHERE provider = $1 AND id = $2`, [key.provider, key.id])
      : await this.pool.query(`UPDATE ${this.names.ledger} SET status = $4, owner = NULL, last_error = $5,
          due_at = now() + $6 * interval '1 millisecond'
        WHERE provider = $1 AND id = $2 AND status = 'running' AND owner = $3`,
      [key.provider, key.id, owner, settlement.status, settlement.error, settlement.status === 'failed' ? settlement.retryInMs : 0]);
    return result.rowCount === 1;
  }

  async requeue(id: string, provider?: string): Promise<EventKey[]> {
    const result = await this.pool.query<EventKey>(`UPDATE ${this.names.ledger} SET status = 'pending', attempts = 0, owner = NULL,
        due_at = now(), last_error = NULL
      WHERE id = $1 AND ($2::text IS NULL OR provider = $2) AND status IN ('failed', 'dead', 'done')
      RETURNING provider, id`, [id, provider ?? null]);
    return result.rows.map((row) => ({ provider: row.provider, id: row.id }));
  }

  async getEntry(key: EventKey): Promise<Entry | undefined> {
    const result = await this.pool.query<EntryRow>(`SELECT ${ENTRY_COLUMNS('e')} FROM ${this.names.ledger} e WHERE provider = $1 AND id = $2`,
      [key.provider, key.id]);
    return result.rows[0] && entryFromRow(result.rows[0]);
  }

  async listEntries(query: EntryQuery = {}): Promise<Entry[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (condition: (n: string) => string, value: string | number) => {
      params.push(value);
      where.push(condition(`$${params.length}`));
    };
    if (query.provider !== undefined) add((n) => `provider = ${n}`, query.provider);
    if (query.tokenRef !== undefined) add((n) => `token_ref = ${n}`, query.tokenRef);
    if (query.status !== undefined) add((n) => `status = ${n}`, query.status);
    if (query.since !== undefined) add((n) => `received_at >= ${n}::timestamptz`, iso(query.since));
    if (query.until !== undefined) add((n) => `received_at < ${n}::timestamptz`, iso(query.until));
    params.push(query.limit ?? 100);
    const result = await this.pool.query<EntryRow>(`SELECT ${ENTRY_COLUMNS('e')} FROM ${this.names.ledger} e
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at, provider, id LIMIT $${params.length}`, params);
    return result.rows.map(entryFromRow);
  }

  async getTokenState(provider: string, tokenRef: string): Promise<TokenStateRecord | undefined> {
    const result = await this.pool.query<StateRow>(`SELECT provider, token_ref, state, (extract(epoch from occurred_at) * 1000)::float8 AS occurred_at,
      event_id, (extract(epoch from updated_at) * 1000)::float8 AS updated_at FROM ${this.names.states}
      WHERE provider = $1 AND token_ref = $2`, [provider, tokenRef]);
    return result.rows[0] && stateFromRow(result.rows[0]);
  }

  async prune(olderThan: Date): Promise<PruneResult> {
    const result = await this.pool.query(`DELETE FROM ${this.names.ledger} WHERE status = 'done' AND received_at < $1::timestamptz`, [iso(olderThan)]);
    return { entries: result.rowCount ?? 0 };
  }
}
