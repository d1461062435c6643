import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type {
  ClaimResult, EventKey, EventQuery, ProjectionResult, PruneResult, StateChange, Storage, StoredEvent, TokenStateRecord,
} from './storage';
import { decideProjection } from './projection';
import { loadDriver } from './driver';
import { eventFromRow, payloadText, stateFromRow } from './row';
import type { EventRow, StateRow } from './row';
import { logger } from '../log';
import { InboxDelegate } from './inbox-delegate';
import { SQLITE_INBOX_SCHEMA, SqliteInbox } from './sqlite-inbox';

const log = logger('storage:sqlite');

export interface SqliteStorageOptions {
  /** The database file; created with its folder when missing. `:memory:` for a private in-memory database. */
  readonly path: string;
  /** Clock for leases, completion and `updatedAt`, in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
  /** How long to wait for another process's write lock, in ms. Default 5000. */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ntw_claims (
  provider TEXT NOT NULL, id TEXT NOT NULL, owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL, completed_at INTEGER,
  PRIMARY KEY (provider, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ntw_claims_completed ON ntw_claims (completed_at);
CREATE TABLE IF NOT EXISTS ntw_events (
  provider TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, token_ref TEXT NOT NULL, state TEXT,
  occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, stale INTEGER NOT NULL, stale_reason TEXT, payload TEXT,
  PRIMARY KEY (provider, id)
);
CREATE INDEX IF NOT EXISTS ntw_events_token ON ntw_events (provider, token_ref, received_at);
CREATE INDEX IF NOT EXISTS ntw_events_received ON ntw_events (received_at);
CREATE TABLE IF NOT EXISTS ntw_token_states (
  provider TEXT NOT NULL, token_ref TEXT NOT NULL, state TEXT NOT NULL,
  occurred_at INTEGER NOT NULL, event_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (provider, token_ref)
) WITHOUT ROWID;
`;

/**
 * Storage in one SQLite file (better-sqlite3, WAL mode): survives restarts; several processes on
 * the same machine may share the file. Writes that must be atomic run in IMMEDIATE transactions.
 */
/** Its inbox queue (`mode: 'inbox'`) lives in lib/storage/sqlite-inbox.ts. */
export class SqliteStorage extends InboxDelegate implements Storage {
  private readonly options: SqliteStorageOptions;
  protected readonly inbox = new SqliteInbox(() => this.db);
  private readonly Driver: typeof BetterSqlite3;
  private readonly now: () => number;
  private database: BetterSqlite3.Database | undefined;

  constructor(pathOrOptions: string | SqliteStorageOptions) {
    super();
    this.options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : pathOrOptions;
    this.now = this.options.now ?? Date.now;
    this.Driver = loadDriver<typeof BetterSqlite3>('better-sqlite3', 'SqliteStorage');
  }

  /** Open the file and create the tables (idempotent). Every method opens it on first use too. */
  init(): void {
    void this.db;
  }

  close(): void {
    this.database?.close();
    this.database = undefined;
  }

  private get db(): BetterSqlite3.Database {
    if (this.database) return this.database;
    const { path } = this.options;
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new this.Driver(path, { timeout: this.options.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    db.exec(SQLITE_INBOX_SCHEMA);
    log('opened %s', path);
    this.database = db;
    return db;
  }

  claim(key: EventKey, owner: string, leaseMs: number): ClaimResult {
    const db = this.db;
    return db.transaction((): ClaimResult => {
      const now = this.now();
      const won = db.prepare(`INSERT INTO ntw_claims (provider, id, owner, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (provider, id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
        WHERE ntw_claims.completed_at IS NULL AND ntw_claims.expires_at <= ?`)
        .run(key.provider, key.id, owner, now + leaseMs, now);
      if (won.changes === 1) return 'claimed';
      const row = db.prepare('SELECT completed_at FROM ntw_claims WHERE provider = ? AND id = ?')
        .get(key.provider, key.id) as { completed_at: number | null };
      return row.completed_at === null ? 'in_progress' : 'processed';
    }).immediate();
  }

  complete(key: EventKey, owner: string): void {
    const now = this.now();
    this.db.prepare(`INSERT INTO ntw_claims (provider, id, owner, expires_at, completed_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (provider, id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, completed_at = excluded.completed_at`)
      .run(key.provider, key.id, owner, now, now);
  }

  release(key: EventKey, owner: string): void {
    this.db.prepare('DELETE FROM ntw_claims WHERE provider = ? AND id = ? AND owner = ? AND completed_at IS NULL')
      .run(key.provider, key.id, owner);
  }

  extend(key: EventKey, owner: string, leaseMs: number): boolean {
    const now = this.now();
    return this.db.prepare(`UPDATE ntw_claims SET expires_at = ?
      WHERE provider = ? AND id = ? AND owner = ? AND completed_at IS NULL AND expires_at > ?`)
      .run(now + leaseMs, key.provider, key.id, owner, now).changes === 1;
  }

  saveEvent(event: StoredEvent): void {
    this.db.prepare(`INSERT OR REPLACE INTO ntw_events
      (provider, id, type, token_ref, state, occurred_at, received_at, stale, stale_reason, payload)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(event.provider, event.id, event.type, event.tokenRef, event.state ?? null, event.occurredAt.getTime(),
        event.receivedAt.getTime(), event.stale ? 1 : 0, event.staleReason ?? null, payloadText(event.payload));
  }

  listEvents(query: EventQuery = {}): StoredEvent[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.provider !== undefined) { where.push('provider = ?'); params.push(query.provider); }
    if (query.tokenRef !== undefined) { where.push('token_ref = ?'); params.push(query.tokenRef); }
    if (query.since !== undefined) { where.push('received_at >= ?'); params.push(query.since.getTime()); }
    if (query.until !== undefined) { where.push('received_at < ?'); params.push(query.until.getTime()); }
    params.push(query.limit ?? 100);
    const rows = this.db.prepare(`SELECT * FROM ntw_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY received_at, rowid LIMIT ?`).all(...params) as EventRow[];
    return rows.map(eventFromRow);
  }

  applyTokenState(change: StateChange): ProjectionResult {
    const db = this.db;
    return db.transaction((): ProjectionResult => {
      const row = db.prepare('SELECT * FROM ntw_token_states WHERE provider = ? AND token_ref = ?')
        .get(change.provider, change.tokenRef) as StateRow | undefined;
      const current = row && stateFromRow(row);
      const decision = decideProjection(current, change);
      if (!decision.apply) return { applied: false, staleReason: decision.staleReason, current: current! };
      const next: TokenStateRecord = { ...change, updatedAt: new Date(this.now()) };
      db.prepare(`INSERT OR REPLACE INTO ntw_token_states (provider, token_ref, state, occurred_at, event_id, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)`)
        .run(next.provider, next.tokenRef, next.state, next.occurredAt.getTime(), next.eventId, next.updatedAt.getTime());
      return { applied: true, current: next };
    }).immediate();
  }

  getTokenState(provider: string, tokenRef: string): TokenStateRecord | undefined {
    const row = this.db.prepare('SELECT * FROM ntw_token_states WHERE provider = ? AND token_ref = ?')
      .get(provider, tokenRef) as StateRow | undefined;
    return row && stateFromRow(row);
  }

  prune(olderThan: Date): PruneResult {
    const cutoff = olderThan.getTime();
    const db = this.db;
    return db.transaction((): PruneResult => ({
      claims: db.prepare(`DELETE FROM ntw_claims WHERE (completed_at IS NOT NULL AND completed_at < ?)
        OR (completed_at IS NULL AND expires_at < ?)`).run(cutoff, cutoff).changes,
      events: db.prepare('DELETE FROM ntw_events WHERE received_at < ?').run(cutoff).changes,
    })).immediate();
  }
}
