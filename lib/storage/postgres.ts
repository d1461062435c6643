import type { Pool, PoolClient, PoolConfig } from 'pg';
import type {
  ClaimResult, EventKey, EventQuery, ProjectionResult, PruneResult, StateChange, Storage, StoredEvent, TokenStateRecord,
} from './storage';
import { decideProjection } from './projection';
import { loadDriver } from './driver';
import { eventFromRow, payloadText, stateFromRow } from './row';
import type { EventRow, StateRow } from './row';
import { ms, postgresDdl, postgresTables } from './postgres-schema';
import type { PostgresTables } from './postgres-schema';
import { logger } from '../log';
import { InboxDelegate } from './inbox-delegate';
import { PostgresInbox, postgresInboxDdl, postgresInboxTable } from './postgres-inbox';

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

const STATE_COLUMNS = `provider, token_ref, state, ${ms('occurred_at')} AS occurred_at, event_id, ${ms('updated_at')} AS updated_at`;
const EVENT_COLUMNS = `provider, id, type, token_ref, state, ${ms('occurred_at')} AS occurred_at, ${ms('received_at')} AS received_at,
  stale, stale_reason, payload::text AS payload`;

const isPool = (value: unknown): value is Pool =>
  typeof value === 'object' && value !== null && typeof (value as Pool).query === 'function' && typeof (value as Pool).connect === 'function';

/**
 * Storage in PostgreSQL (`pg`), for several app instances sharing one database. Leases are judged by
 * the database clock (`now()`); claims are one `INSERT … ON CONFLICT`; the projection runs in a
 * transaction holding the token's row lock, so concurrent writers cannot make it regress.
 */
/** Its inbox queue (`mode: 'inbox'`) lives in lib/storage/postgres-inbox.ts. */
export class PostgresStorage extends InboxDelegate implements Storage {
  readonly tables: PostgresTables;
  protected readonly inbox: PostgresInbox;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private closed = false;

  constructor(options: string | Pool | PostgresStorageOptions) {
    super();
    const opts: PostgresStorageOptions = typeof options === 'string' ? { connectionString: options } : isPool(options) ? { pool: options } : options;
    this.tables = postgresTables(opts.schema ?? 'public');
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
    this.inbox = new PostgresInbox(this.pool, postgresInboxTable(this.tables.schema));
  }

  /** Create the schema, tables and indexes when missing (idempotent, safe with several instances starting at once). */
  async init(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`network-token-webhooks:${this.tables.schema}`]);
      await client.query(postgresDdl(this.tables));
      await client.query(postgresInboxDdl(postgresInboxTable(this.tables.schema)));
    });
    log('tables ready in schema %s', this.tables.schema);
  }

  async close(): Promise<void> {
    if (this.closed || !this.ownsPool) return;
    this.closed = true;
    await this.pool.end();
  }

  async claim(key: EventKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    const { claims } = this.tables;
    // A claim released between the two statements leaves no row: try again (bounded).
    for (let attempt = 0; attempt < 3; attempt++) {
      const won = await this.pool.query(`INSERT INTO ${claims} (provider, id, owner, expires_at)
        VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
        ON CONFLICT (provider, id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
        WHERE ${claims}.completed_at IS NULL AND ${claims}.expires_at <= now()`, [key.provider, key.id, owner, leaseMs]);
      if (won.rowCount === 1) return 'claimed';
      const found = await this.pool.query<{ done: boolean }>(`SELECT completed_at IS NOT NULL AS done FROM ${claims}
        WHERE provider = $1 AND id = $2`, [key.provider, key.id]);
      const row = found.rows[0];
      if (row) return row.done ? 'processed' : 'in_progress';
    }
    return 'in_progress';
  }

  async complete(key: EventKey, owner: string): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.tables.claims} (provider, id, owner, expires_at, completed_at) VALUES ($1, $2, $3, now(), now())
      ON CONFLICT (provider, id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, completed_at = EXCLUDED.completed_at`,
    [key.provider, key.id, owner]);
  }

  async release(key: EventKey, owner: string): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.tables.claims} WHERE provider = $1 AND id = $2 AND owner = $3 AND completed_at IS NULL`,
      [key.provider, key.id, owner]);
  }

  /** Renew by the database clock, as `claim` leases: `now()` + `leaseMs`. */
  async extend(key: EventKey, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${this.tables.claims} SET expires_at = now() + $4 * interval '1 millisecond'
      WHERE provider = $1 AND id = $2 AND owner = $3 AND completed_at IS NULL AND expires_at > now()`,
    [key.provider, key.id, owner, leaseMs]);
    return result.rowCount === 1;
  }

  async saveEvent(event: StoredEvent): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.tables.events}
      (provider, id, type, token_ref, state, occurred_at, received_at, stale, stale_reason, payload)
      VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8, $9, $10::json)
      ON CONFLICT (provider, id) DO UPDATE SET type = EXCLUDED.type, token_ref = EXCLUDED.token_ref, state = EXCLUDED.state,
        occurred_at = EXCLUDED.occurred_at, received_at = EXCLUDED.received_at, stale = EXCLUDED.stale,
        stale_reason = EXCLUDED.stale_reason, payload = EXCLUDED.payload`,
    [event.provider, event.id, event.type, event.tokenRef, event.state ?? null, event.occurredAt.toISOString(),
      event.receivedAt.toISOString(), event.stale, event.staleReason ?? null, payloadText(event.payload)]);
  }

  async listEvents(query: EventQuery = {}): Promise<StoredEvent[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (condition: (n: string) => string, value: string | number) => {
      params.push(value);
      where.push(condition(`$${params.length}`));
    };
    if (query.provider !== undefined) add((n) => `provider = ${n}`, query.provider);
    if (query.tokenRef !== undefined) add((n) => `token_ref = ${n}`, query.tokenRef);
    if (query.since !== undefined) add((n) => `received_at >= ${n}::timestamptz`, query.since.toISOString());
    if (query.until !== undefined) add((n) => `received_at < ${n}::timestamptz`, query.until.toISOString());
    params.push(query.limit ?? 100);
    const result = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM ${this.tables.events}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY received_at, provider, id LIMIT $${params.length}`, params);
    return result.rows.map(eventFromRow);
  }

  async applyTokenState(change: StateChange): Promise<ProjectionResult> {
    const { states } = this.tables;
    const values = [change.provider, change.tokenRef, change.state, change.occurredAt.toISOString(), change.eventId];
    return this.transaction(async (client) => {
      const inserted = await client.query<StateRow>(`INSERT INTO ${states} (provider, token_ref, state, occurred_at, event_id, updated_at)
        VALUES ($1, $2, $3, $4::timestamptz, $5, now()) ON CONFLICT (provider, token_ref) DO NOTHING RETURNING ${STATE_COLUMNS}`, values);
      if (inserted.rows[0]) return { applied: true, current: stateFromRow(inserted.rows[0]) };
      const locked = await client.query<StateRow>(`SELECT ${STATE_COLUMNS} FROM ${states}
        WHERE provider = $1 AND token_ref = $2 FOR UPDATE`, [change.provider, change.tokenRef]);
      const current = stateFromRow(locked.rows[0]!);
      const decision = decideProjection(current, change);
      if (!decision.apply) return { applied: false, staleReason: decision.staleReason, current };
      const updated = await client.query<StateRow>(`UPDATE ${states} SET state = $3, occurred_at = $4::timestamptz, event_id = $5, updated_at = now()
        WHERE provider = $1 AND token_ref = $2 RETURNING ${STATE_COLUMNS}`, values);
      return { applied: true, current: stateFromRow(updated.rows[0]!) };
    });
  }

  async getTokenState(provider: string, tokenRef: string): Promise<TokenStateRecord | undefined> {
    const result = await this.pool.query<StateRow>(`SELECT ${STATE_COLUMNS} FROM ${this.tables.states}
      WHERE provider = $1 AND token_ref = $2`, [provider, tokenRef]);
    return result.rows[0] && stateFromRow(result.rows[0]);
  }

  async prune(olderThan: Date): Promise<PruneResult> {
    const cutoff = olderThan.toISOString();
    const claims = await this.pool.query(`DELETE FROM ${this.tables.claims}
      WHERE completed_at < $1::timestamptz OR (completed_at IS NULL AND expires_at < $1::timestamptz)`, [cutoff]);
    const events = await this.pool.query(`DELETE FROM ${this.tables.events} WHERE received_at < $1::timestamptz`, [cutoff]);
    return { claims: claims.rowCount ?? 0, events: events.rowCount ?? 0 };
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
