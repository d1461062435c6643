/**
 * `network-token-webhooks/sqlite`: the SQLite storage (better-sqlite3), for one machine.
 *
 * @module network-token-webhooks/sqlite
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type {
  Admission, Admit, Entry, EntryHistory, EntryQuery, EntryRecord, EventKey, LedgerStats, OwnedSettlement, PruneResult, ReceivedCount, RefusalMinute,
  Settlement,
  StatsQuery, StatusCount, Storage, TokenStateCount, TokenStateRecord,
} from './storage';
import { HISTORY_MAX, REFUSALS_KEPT_MS, REQUEUEABLE_STATUSES, STATS_BUCKET_MS, statsWindow } from './storage';
import type { RequeueableStatus } from './storage';
import { NO_HISTORY, historyFromJson, minuteOf } from './kit/history';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import type { Held } from './kit/ledger-rules';
import { admissionOf, isDue, publicEntry, project, takenEntry } from './kit/ledger-rules';
import { loadDriver } from './driver';
import { booleanOption, timeoutMsOption } from './kit/options';
import { LEDGER_COLUMNS, OPEN_STATUSES_SQL, entryFromRow, stateFromRow } from './kit/row';
import type { EntryRow, StateRow } from './kit/row';
import { logger, loggerOf } from '../log';
import { migrateSqlite } from './kit/migrations/sqlite';
import { OpenedFiles } from './sqlite-files';

const log = logger('storage:sqlite');

export interface SqliteStorageOptions {
  /** The database file; created with its folder when missing. `:memory:` for a private in-memory database. */
  readonly path: string;
  /** Clock for leases and due times, in ms (tests). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The longest one call waits for another process's write lock (SQLite's busy timeout), in ms. Default 4000:
   * under the delivery core's `storageTimeoutMs` (5000). better-sqlite3 is synchronous, so this is the only
   * deadline that can stop a call: the core's cannot interrupt it. Past it the call fails (`SQLITE_BUSY`).
   */
  readonly timeoutMs?: number;
  /** The former name of `timeoutMs`, still accepted (`timeoutMs` wins). */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite's `synchronous` setting. `'full'` (default): a commit is on disk before the delivery is
   * acknowledged, even across a power loss. `'normal'`: faster; in WAL mode a commit survives an application
   * crash but the last ones may be lost on a power loss or OS crash.
   */
  readonly synchronous?: 'full' | 'normal';
  /**
   * Deliveries arriving together share one transaction and one commit (each step in a savepoint of its own),
   * so that under `synchronous: 'full'` a burst waits for the disk once rather than once per event. Every
   * step still resolves only after its commit. Default `true`; `false` commits every step on its own.
   */
  readonly groupCommit?: boolean;
}

/** The default of `timeoutMs`. */
export const SQLITE_TIMEOUT_MS = 4000;

const COLUMNS = LEDGER_COLUMNS.join(', ');

/** `column` (a JSON array of the newest `HISTORY_MAX`, or `NULL`) with `item` (a JSON expression) appended, the oldest dropped. */
const appended = (column: string, item: string) => `json_insert(CASE WHEN json_array_length(coalesce(${column}, '[]')) >= ${HISTORY_MAX}
  THEN json_remove(${column}, '$[0]') ELSE coalesce(${column}, '[]') END, '$[#]', ${item})`;

/** An attempt of the row being updated (its attempts as they were): bound as the time, the outcome and the error. */
const ATTEMPT = appended('attempt_log', "json_object('at', ?, 'attempt', attempts, 'outcome', ?, 'error', ?)");

/**
 * The providers stored, each found by one seek of the primary key: a search by id or token reference without a
 * provider becomes one index lookup per provider (a few), where a search by either alone would scan the table.
 */
/**
 * The index a listing reads, named: without statistics (no `ANALYZE`), SQLite prefers an index that spares it a sort,
 * and would read every entry of a provider to find one token's. An open status is a few entries; `done` is most of them.
 */
function indexFor(query: EntryQuery): string {
  if (query.id !== undefined) return ''; // the primary key, (provider, id)
  if (query.tokenRef !== undefined) return 'INDEXED BY ntw_ledger_token';
  if (query.conflicted === true) return 'INDEXED BY ntw_ledger_conflicted';
  if (query.status !== undefined && (query.status !== 'done' || query.provider === undefined)) return 'INDEXED BY ntw_ledger_status';
  if (query.provider !== undefined) return 'INDEXED BY ntw_ledger_provider';
  return '';
}

const PROVIDERS = `WITH RECURSIVE providers(p) AS (SELECT (SELECT min(provider) FROM ntw_ledger)
  UNION ALL SELECT (SELECT min(provider) FROM ntw_ledger WHERE provider > p) FROM providers WHERE p IS NOT NULL)`;

type HeldRow = EntryRow & { readonly owner: string | null };

interface Waiting {
  readonly step: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

const held = (row: HeldRow): Held => ({ ...entryFromRow(row), ...(row.owner === null ? {} : { owner: row.owner }) });

function rowValues(e: Held): unknown[] {
  return [e.provider, e.id, e.status, e.attempts, e.owner ?? null, e.dueAt.getTime(), e.lastError ?? null, e.fingerprint, e.conflicts,
    e.type, e.tokenRef, e.state ?? null, e.occurredAt.getTime(), e.receivedAt.getTime(),
    e.projection ?? null, e.staleReason ?? null, e.body];
}

/** The statements of one open database, prepared once. */
class Statements {
  readonly get: BetterSqlite3.Statement;
  readonly write: BetterSqlite3.Statement;
  readonly insertNew: BetterSqlite3.Statement;
  readonly nextDue: BetterSqlite3.Statement;
  readonly extend: BetterSqlite3.Statement;
  readonly settleDone: BetterSqlite3.Statement;
  readonly settleRun: BetterSqlite3.Statement;
  readonly state: BetterSqlite3.Statement;
  readonly writeState: BetterSqlite3.Statement;
  readonly countToken: BetterSqlite3.Statement;
  readonly requeueable: BetterSqlite3.Statement;
  readonly requeueableAnywhere: BetterSqlite3.Statement;
  readonly requeue: BetterSqlite3.Statement;
  readonly prune: BetterSqlite3.Statement;
  readonly recordCopy: BetterSqlite3.Statement;
  readonly history: BetterSqlite3.Statement;
  readonly addRefusal: BetterSqlite3.Statement;
  readonly forgetRefusals: BetterSqlite3.Statement;
  readonly refusals: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    const placeholders = LEDGER_COLUMNS.map(() => '?').join(', ');
    this.get = db.prepare(`SELECT ${COLUMNS} FROM ntw_ledger WHERE provider = ? AND id = ?`);
    this.write = db.prepare(`INSERT INTO ntw_ledger (${COLUMNS}) VALUES (${placeholders}) ON CONFLICT (provider, id) DO UPDATE SET
      status = excluded.status, attempts = excluded.attempts, owner = excluded.owner, due_at = excluded.due_at,
      last_error = excluded.last_error, conflicts = excluded.conflicts, projection = excluded.projection, stale_reason = excluded.stale_reason`);
    this.insertNew = db.prepare(`INSERT INTO ntw_ledger (${COLUMNS}) VALUES (${placeholders}) ON CONFLICT (provider, id) DO NOTHING`);
    this.nextDue = db.prepare(`SELECT ${COLUMNS} FROM ntw_ledger WHERE status IN ('pending', 'failed', 'running') AND due_at <= ?
      ORDER BY due_at LIMIT 1`);
    this.extend = db.prepare(`UPDATE ntw_ledger SET due_at = ? WHERE provider = ? AND id = ? AND status = 'running' AND owner = ? AND due_at > ?`);
    this.settleDone = db.prepare(`UPDATE ntw_ledger SET status = 'done', owner = NULL, due_at = ?, attempt_log = ${ATTEMPT}
      WHERE provider = ? AND id = ?`);
    this.settleRun = db.prepare(`UPDATE ntw_ledger SET status = ?, owner = NULL, last_error = ?, due_at = ?, attempt_log = ${ATTEMPT}
      WHERE provider = ? AND id = ? AND status = 'running' AND owner = ?`);
    this.state = db.prepare('SELECT * FROM ntw_token_states WHERE provider = ? AND token_ref = ?');
    this.writeState = db.prepare(`INSERT OR REPLACE INTO ntw_token_states (provider, token_ref, state, occurred_at, event_id, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.countToken = db.prepare(`INSERT INTO ntw_token_counts (provider, state, count) VALUES (?, ?, ?)
      ON CONFLICT (provider, state) DO UPDATE SET count = count + excluded.count`);
    this.requeueable = db.prepare(`SELECT provider, id, status FROM ntw_ledger WHERE provider = ? AND id = ? AND status IN ('failed', 'dead', 'done')`);
    this.requeueableAnywhere = db.prepare(`${PROVIDERS} SELECT provider, id, status FROM ntw_ledger
      WHERE provider IN (SELECT p FROM providers) AND id = ? AND status IN ('failed', 'dead', 'done')`);
    this.requeue = db.prepare(`UPDATE ntw_ledger SET status = 'pending', attempts = 0, owner = NULL, due_at = ?, last_error = NULL,
      attempt_log = ${ATTEMPT} WHERE provider = ? AND id = ?`);
    this.prune = db.prepare(`DELETE FROM ntw_ledger WHERE status = 'done' AND received_at < ?`);
    this.recordCopy = db.prepare(`UPDATE ntw_ledger SET copy_log = ${appended('copy_log', "json_object('at', ?, 'fingerprint', ?)")}
      WHERE provider = ? AND id = ?`);
    this.history = db.prepare('SELECT attempt_log, copy_log FROM ntw_ledger WHERE provider = ? AND id = ?');
    this.addRefusal = db.prepare(`INSERT INTO ntw_refusals (minute, provider, status, code, count, last_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (minute, provider, status, code) DO UPDATE SET count = count + excluded.count, last_at = max(last_at, excluded.last_at)`);
    this.forgetRefusals = db.prepare('DELETE FROM ntw_refusals WHERE minute < ?');
    this.refusals = db.prepare('SELECT minute, provider, status, code, count, last_at FROM ntw_refusals WHERE minute >= ?');
  }
}

/**
 * Storage in one SQLite file (better-sqlite3, WAL mode): survives restarts; several processes on the same
 * machine may share the file. Every transition is one IMMEDIATE transaction (one writer at a time, across
 * processes) running the rules of `ledger-rules.ts`.
 */
export class SqliteStorage implements Storage {
  private readonly options: SqliteStorageOptions;
  private readonly Driver: typeof BetterSqlite3;
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private readonly groupCommit: boolean;
  private database: BetterSqlite3.Database | undefined;
  /** Opened, its schema steps not yet applied (refused for now). */
  private opened: BetterSqlite3.Database | undefined;
  private statements: Statements | undefined;
  /** The files as opened: writes are refused once they were deleted or replaced. */
  private files: OpenedFiles | undefined;
  /** Steps waiting for the next commit (`groupCommit`). */
  private waiting: Waiting[] = [];

  constructor(pathOrOptions: string | SqliteStorageOptions) {
    this.options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : pathOrOptions;
    checkOptionNames('SqliteStorage', this.options, {
      path: true, now: true, timeoutMs: true, busyTimeoutMs: true, synchronous: true, groupCommit: true,
    } satisfies NamesOf<SqliteStorageOptions>);
    this.groupCommit = booleanOption('SqliteStorage', 'groupCommit', this.options.groupCommit, true);
    const synchronous = this.options.synchronous ?? 'full';
    if (synchronous !== 'full' && synchronous !== 'normal') {
      throw new ConfigurationError('ERR_NTW_OPTION', "SqliteStorage synchronous must be 'full' or 'normal'");
    }
    this.now = this.options.now ?? Date.now;
    this.timeoutMs = timeoutMsOption('SqliteStorage', this.options.timeoutMs ?? this.options.busyTimeoutMs, SQLITE_TIMEOUT_MS, { allowZero: true });
    this.Driver = loadDriver<typeof BetterSqlite3>('better-sqlite3', 'SqliteStorage');
  }

  /** Open the file and create the tables (idempotent). Every method opens it on first use too. */
  describe(): string {
    return `SQLite at ${this.options.path}`;
  }

  init(): void {
    void this.db;
  }

  close(): void {
    if (this.database) this.flush(); // steps still waiting for their commit get it
    this.database?.close();
    this.opened?.close();
    this.opened = undefined;
    this.database = undefined;
    this.statements = undefined;
  }

  private get db(): BetterSqlite3.Database {
    if (this.database) return this.database;
    const db = this.opened ??= this.open();
    // A step refused (0.1 instances still running, a newer schema) is tried again on the next call, on this connection.
    migrateSqlite(db, this.now(), `SQLite at ${this.options.path}`);
    this.statements = new Statements(db);
    log.info({ path: this.options.path }, 'opened', loggerOf(this));
    this.database = db;
    this.opened = undefined;
    this.files = OpenedFiles.of(this.options.path);
    return db;
  }

  /** A connection in WAL mode with the configured durability. */
  private open(): BetterSqlite3.Database {
    const { path } = this.options;
    if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = new this.Driver(path, { timeout: this.timeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${(this.options.synchronous ?? 'full').toUpperCase()}`);
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }

  private get sql(): Statements {
    void this.db;
    return this.statements!;
  }

  /** The database, before a write: throws `SQLITE_READONLY_DBMOVED` when its file was deleted or replaced since it was opened. */
  private writable(): BetterSqlite3.Database {
    const db = this.db;
    this.files?.check();
    return db;
  }

  /**
   * Throws when a delivery could not be recorded now: its file was deleted or replaced, or it cannot be written
   * (a read-only database, a write lock held past `timeoutMs`). Takes the write lock and runs an `UPDATE` that
   * matches nothing, then rolls back: nothing reaches the disk, so a full disk passes (its commits fail).
   */
  probe(): void {
    const db = this.writable();
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare('UPDATE ntw_ledger SET status = status WHERE 0').run();
    } finally {
      db.exec('ROLLBACK');
    }
  }

  /**
   * Take, queue or quarantine an entry. Resolves once its transaction committed (on disk, with `synchronous:
   * 'full'`); transitions arriving together share that commit (`groupCommit`).
   */
  admit(record: EntryRecord, admit: Admit): Promise<Admission> {
    return this.commit(() => this.admitNow(record, admit));
  }

  /** Record a run's outcome. Resolves once committed, as `admit` does. */
  settle(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    return this.commit(() => this.settleNow(key, owner, settlement));
  }

  /** One step of the group commit for all of them. */
  settleMany(settlements: readonly OwnedSettlement[]): Promise<boolean[]> {
    return this.commit(() => settlements.map(({ key, owner, settlement }) => this.settleNow(key, owner, settlement)));
  }

  /**
   * Run `step` in a transaction of its own, or, while other steps wait for the disk, with them: each in a
   * savepoint of its own (a step that throws undoes only its own writes), all under one `BEGIN IMMEDIATE` and
   * one commit. Every step's promise settles only after that commit: nothing is acknowledged before it is durable.
   */
  private commit<T>(step: () => T): Promise<T> {
    if (!this.groupCommit) return new Promise<T>((resolve) => resolve(this.writable().transaction(step).immediate()));
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ step, resolve, reject } as Waiting);
      if (this.waiting.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      const db = this.writable();
      if (batch.length === 1) {
        outcomes.push({ ok: true, value: db.transaction(batch[0]!.step).immediate() });
      } else {
        db.transaction(() => {
          for (const { step } of batch) {
            try {
              outcomes.push({ ok: true, value: db.transaction(step)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        }).immediate();
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    });
  }

  private admitNow(record: EntryRecord, admit: Admit): Admission {
    const db = this.db;
    const sql = this.sql;
    return db.transaction((): Admission => {
      const now = this.now();
      const existing = sql.get.get(record.provider, record.id) as HeldRow | undefined;
      const decision = admissionOf(existing && held(existing), record, admit, now);
      if (existing) sql.recordCopy.run(now, record.fingerprint, record.provider, record.id);
      if (!decision.admitted) {
        if (decision.write) sql.write.run(...rowValues(decision.write));
        return { admitted: false, entry: publicEntry(decision.entry), conflict: decision.conflict };
      }
      const entry = decision.taken ? this.project(decision.write, now) : decision.write;
      (existing ? sql.write : sql.insertNew).run(...rowValues(entry));
      return { admitted: true, entry: publicEntry(entry) };
    })();
  }

  lease(owner: string, leaseMs: number, key?: EventKey): Entry | undefined {
    const db = this.writable();
    const sql = this.sql;
    return db.transaction((): Entry | undefined => {
      const now = this.now();
      const row = (key ? sql.get.get(key.provider, key.id) : sql.nextDue.get(now)) as HeldRow | undefined;
      if (!row || !isDue(held(row), now)) return undefined;
      const leased = this.project(takenEntry(held(row), owner, leaseMs, now), now);
      sql.write.run(...rowValues(leased));
      return publicEntry(leased);
    }).immediate();
  }

  /** One IMMEDIATE transaction, one commit: the next due entry taken until `limit` are or none is left. */
  leaseMany(owner: string, leaseMs: number, limit: number): Entry[] {
    const db = this.writable();
    const sql = this.sql;
    return db.transaction((): Entry[] => {
      const now = this.now();
      const leased: Entry[] = [];
      while (leased.length < limit) {
        const row = sql.nextDue.get(now) as HeldRow | undefined;
        if (!row || !isDue(held(row), now)) break;
        const taken = this.project(takenEntry(held(row), owner, leaseMs, now), now);
        sql.write.run(...rowValues(taken));
        leased.push(publicEntry(taken));
      }
      return leased;
    }).immediate();
  }

  extend(key: EventKey, owner: string, leaseMs: number): boolean {
    this.writable();
    const now = this.now();
    return this.sql.extend.run(now + leaseMs, key.provider, key.id, owner, now).changes === 1;
  }

  /** `maySettle` and `settledEntry` in one statement, as PostgreSQL runs them: the entry's other columns are not rewritten. */
  private settleNow(key: EventKey, owner: string, settlement: Settlement): boolean {
    const now = this.now();
    if (settlement.status === 'done') return this.sql.settleDone.run(now, now, 'done', null, key.provider, key.id).changes === 1;
    const dueAt = settlement.status === 'failed' ? now + settlement.retryInMs : now;
    return this.sql.settleRun.run(settlement.status, settlement.error, dueAt, now, settlement.status, settlement.error, key.provider, key.id, owner)
      .changes === 1;
  }

  requeue(id: string, provider?: string, from: readonly RequeueableStatus[] = REQUEUEABLE_STATUSES): EventKey[] {
    const db = this.writable();
    const sql = this.sql;
    return db.transaction((): EventKey[] => {
      const found = (provider === undefined ? sql.requeueableAnywhere.all(id) : sql.requeueable.all(provider, id)) as (EventKey & { status: string })[];
      const keys = found.filter((row) => (from as readonly string[]).includes(row.status));
      const now = this.now();
      for (const key of keys) sql.requeue.run(now, now, 'requeued', null, key.provider, key.id);
      return keys.map((k) => ({ provider: k.provider, id: k.id }));
    }).immediate();
  }

  getEntry(key: EventKey): Entry | undefined {
    const row = this.sql.get.get(key.provider, key.id) as HeldRow | undefined;
    return row && publicEntry(held(row));
  }

  /**
   * One statement per shape of query, from the indexes: by provider (`ntw_ledger_provider`), status, token, time,
   * or, for an id or a token without a provider, one primary-key or token-index lookup per provider stored.
   */
  listEntries(query: EntryQuery = {}): Entry[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const anyProvider = query.provider === undefined && (query.id !== undefined || query.tokenRef !== undefined);
    if (query.provider !== undefined) { where.push('provider = ?'); params.push(query.provider); }
    if (anyProvider) where.push('provider IN (SELECT p FROM providers)');
    if (query.id !== undefined) { where.push('id = ?'); params.push(query.id); }
    if (query.tokenRef !== undefined) { where.push('token_ref = ?'); params.push(query.tokenRef); }
    if (query.status !== undefined) { where.push('status = ?'); params.push(query.status); }
    if (query.since !== undefined) { where.push('received_at >= ?'); params.push(query.since.getTime()); }
    if (query.until !== undefined) { where.push('received_at < ?'); params.push(query.until.getTime()); }
    if (query.conflicted === true) where.push('conflicts > 0');
    const newest = query.order === 'newest';
    if (query.after !== undefined) {
      const { receivedAt, provider, id } = query.after;
      where.push(newest ? 'received_at <= ? AND (received_at, provider, id) < (?, ?, ?)' : 'received_at >= ? AND (received_at, provider, id) > (?, ?, ?)');
      params.push(receivedAt.getTime(), receivedAt.getTime(), provider, id);
    }
    params.push(query.limit ?? 100);
    const direction = newest ? 'DESC' : 'ASC';
    const rows = this.db.prepare(`${anyProvider ? PROVIDERS : ''} SELECT ${COLUMNS} FROM ntw_ledger ${indexFor(query)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY received_at ${direction}, provider ${direction}, id ${direction} LIMIT ?`).all(...params) as HeldRow[];
    return rows.map((row) => publicEntry(held(row)));
  }

  getHistory(key: EventKey): EntryHistory {
    const row = this.sql.history.get(key.provider, key.id) as { attempt_log: string | null; copy_log: string | null } | undefined;
    return row ? historyFromJson(row.attempt_log, row.copy_log) : NO_HISTORY;
  }

  /** Added and the minutes past `REFUSALS_KEPT_MS` forgotten in one transaction, its own commit (no group commit: a few a minute). */
  addRefusals(counts: readonly RefusalMinute[]): void {
    const db = this.writable();
    const sql = this.sql;
    db.transaction(() => {
      for (const c of counts) sql.addRefusal.run(minuteOf(c.minute), c.provider, c.status, c.code, c.count, c.last.getTime());
      sql.forgetRefusals.run(minuteOf(new Date(this.now() - REFUSALS_KEPT_MS)));
    }).immediate();
  }

  listRefusals(since: Date): RefusalMinute[] {
    const rows = this.sql.refusals.all(minuteOf(since)) as { minute: number; provider: string; status: number; code: string; count: number; last_at: number }[];
    return rows.map((r) => ({ minute: new Date(r.minute), provider: r.provider, status: r.status, code: r.code, count: r.count, last: new Date(r.last_at) }));
  }

  /**
   * Received entries from an index holding every column the count needs (`ntw_ledger_received_counts`), open ones
   * by the status index (few, as a rule: no index of its own to maintain on every delivery), tokens from their counts.
   */
  stats(query: StatsQuery): LedgerStats {
    const db = this.db;
    const provider = query.provider ?? null;
    const window = statsWindow(query);
    const received = db.prepare(`SELECT received_at - received_at % ${STATS_BUCKET_MS} AS minute, provider, status, count(*) AS count
      FROM ntw_ledger WHERE received_at >= ? AND received_at < ? AND (? IS NULL OR provider = ?)
      GROUP BY minute, provider, status`).all(window.since, window.until, provider, provider) as (Omit<ReceivedCount, 'minute'> & { minute: number })[];
    const open = db.prepare(`SELECT provider, status, count(*) AS count FROM ntw_ledger
      WHERE status IN (${OPEN_STATUSES_SQL}) AND (? IS NULL OR provider = ?) GROUP BY status, provider`).all(provider, provider) as StatusCount[];
    const tokens = db.prepare(`SELECT provider, state, count FROM ntw_token_counts
      WHERE count > 0 AND (? IS NULL OR provider = ?)`).all(provider, provider) as TokenStateCount[];
    const conflicted = db.prepare(`SELECT count(*) AS count FROM ntw_ledger WHERE conflicts > 0 AND (? IS NULL OR provider = ?)`)
      .get(provider, provider) as { count: number };
    return { received: received.map((r) => ({ ...r, minute: new Date(r.minute) })), open, tokens, conflicted: conflicted.count };
  }

  getTokenState(provider: string, tokenRef: string): TokenStateRecord | undefined {
    const row = this.sql.state.get(provider, tokenRef) as StateRow | undefined;
    return row && stateFromRow(row);
  }

  prune(olderThan: Date): PruneResult {
    this.writable();
    return { entries: this.sql.prune.run(olderThan.getTime()).changes };
  }

  /** Apply a taken entry's state to its token (inside the caller's transaction). */
  private project(entry: Held, now: number): Held {
    const row = this.sql.state.get(entry.provider, entry.tokenRef) as StateRow | undefined;
    const projected = project(entry, row && stateFromRow(row), now);
    const state = projected.state;
    if (state) {
      this.sql.writeState.run(state.provider, state.tokenRef, state.state, state.occurredAt.getTime(), state.eventId, now);
      if (row?.state !== state.state) {
        if (row) this.sql.countToken.run(row.provider, row.state, -1);
        this.sql.countToken.run(state.provider, state.state, 1);
      }
    }
    return projected.entry;
  }
}
