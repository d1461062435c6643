/**
 * `network-token-webhooks/postgres`: the PostgreSQL storage (pg), for a fleet of instances.
 *
 * @module network-token-webhooks/postgres
 */
import type { Pool, PoolClient, PoolConfig, QueryConfig } from 'pg';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import type {
  Admission, Admit, Entry, EntryHistory, EntryQuery, EntryRecord, EventKey, LedgerStats, OwnedSettlement, PruneResult, RefusalMinute, Settlement, StatsQuery,
  StatusCount, Storage, TokenStateCount, TokenStateRecord,
} from './storage';
import type { EntryStatus, RequeueableStatus } from './storage';
import { REQUEUEABLE_STATUSES } from './storage';
import { REFUSALS_KEPT_MS, STATS_BUCKET_MS, statsWindow } from './storage';
import { NO_HISTORY, historyFromJson, mergeRefusals, minuteOf } from './kit/history';
import { NOW_MS, appendedSql } from './kit/migrations/postgres/003-history-search-refusals';
import { loadDriver } from './driver';
import { admittedEntry } from './kit/ledger-rules';
import { booleanOption, closeWithin, timeoutMsOption } from './kit/options';
import { ENTRY_COLUMNS, OPEN_STATUSES_SQL, TIME_COLUMNS, entryFromRow, stateFromRow } from './kit/row';
import type { EntryRow, StateRow } from './kit/row';
import { ms, postgresNames } from './postgres-schema';
import {
  OLDER_VERSION_ACTIVE, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION, SCHEMA_NEWER, postgresMigrationScript, postgresSchemaVersion,
} from './kit/migrations/postgres';
import { olderVersionActive, schemaNewer } from './kit/migrations/schema-version';
import { pendingSteps } from './kit/migrations/steps';
import type { PostgresNames } from './postgres-schema';
import { logger, loggerOf } from '../log';
import { PreparedQueries } from './prepared-queries';
import { BATCH_MAX_BYTES, Coalescer } from './kit/coalesce';
import { admitBatchSql, admitColumns, admitValues, isOneItemFailure, settleBatchSql, settleColumns } from './postgres-batch';
import type { AdmitItem } from './postgres-batch';
import { LedgerStatistics } from './postgres-statistics';

const log = logger('storage:postgres');

export type { PostgresNames } from './postgres-schema';

export interface PostgresStorageOptions {
  /** e.g. `postgres://user:pass@host:5432/db` (`DATABASE_URL`). Ignored when `pool` is given. */
  readonly connectionString?: string;
  /** An existing pool: the storage uses it and never ends it. */
  readonly pool?: Pool;
  /** Further settings for the pool the storage creates (max connections, TLS, ...). */
  readonly poolConfig?: PoolConfig;
  /** Schema of the tables, created when missing. Default `public`. */
  readonly schema?: string;
  /**
   * The longest one query may take, in ms. Default 4000: under the delivery core's `storageTimeoutMs` (5000),
   * so a silent connection is discarded by the time the delivery is answered retry-later. For the pool the
   * storage creates (a setting in `poolConfig` wins):
   * - the server cancels a statement running longer (`statement_timeout`), and ends a session idle in a
   *   transaction that long (`idle_in_transaction_session_timeout`);
   * - the client gives up on a query unanswered 500 ms later (`query_timeout`): a silent network, a vanished
   *   host. The pool discards that connection (never reuses it) and opens a new one for the next query;
   * - a new connection must be ready within it (`connectionTimeoutMillis`), waiting for a free one included;
   * - TCP keep-alive is on (`keepAlive`, first probe after 10 s idle), so the OS notices a dead peer on idle connections.
   * `close()` waits for the pool to end at most this long plus 1 s, then destroys the connections left.
   */
  readonly timeoutMs?: number;
  /**
   * The delivery path's queries (admit, lease, extend, settle) as named prepared statements: parsed and planned
   * once per connection. Default `true`. Behind a pooler that does not keep them (PgBouncer in transaction mode
   * before 1.21, or with `max_prepared_statements = 0`), the first query that shows it is run again unnamed and
   * the storage sends unnamed queries from then on (logged under `DEBUG=network-token-webhooks:storage:postgres`).
   * `false` for a pooler that keeps them only by pinning each client to one server connection, such as Amazon RDS Proxy
   * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html).
   */
  readonly preparedStatements?: boolean;
  /**
   * `'apply'` (default): `init()` brings the schema to this version, applying the numbered steps it lacks (which
   * needs a role that may create tables and functions). `'verify'`: it only checks the version and fails
   * (`ERR_NTW_SCHEMA_BEHIND`) when the schema is behind; apply the steps beforehand with a role that may, from
   * `npx network-token-webhooks migrate postgres --print` (docs/upgrading.md).
   */
  readonly migrations?: 'apply' | 'verify';
  /**
   * Deliveries arriving together share one statement and one commit: while earlier admits (or `done` settles) are
   * still out, the calls that arrive wait and leave together, each answered only once that statement has committed,
   * as a call on its own is. A call that finds the storage idle leaves at the end of the event loop's turn, with the
   * calls made in it (alone when there are none). Default `true`; `false`
   * sends every call on its own.
   */
  readonly groupCommit?: boolean;
}

/** The default of `timeoutMs`. */
export const POSTGRES_TIMEOUT_MS = 4000;
/** How much longer than `statement_timeout` the client waits before it discards a silent connection. */
const CLIENT_GRACE_MS = 500;
/** The longest a migration may run: carrying a large 0.1 database forward takes longer than any delivery's query. */
const MIGRATION_TIMEOUT_MS = 600_000;
/** The longest the ledger's `ANALYZE` may run (`postgres-statistics.ts`): it samples 30,000 rows of a large ledger. */
const ANALYZE_TIMEOUT_MS = 60_000;
/** How long `init()` waits for instances of 0.1 to finish the events they run before it refuses. */
const OLDER_VERSION_WAIT_MS = 15_000;
/**
 * Batches of admits (and of settles) out at once: past it, concurrent calls wait and leave together. One: two
 * batches of admits out at once wait for each other on the token counts' rows anyway (a batch of 16 deliveries
 * touches most of a state's 16), and half as many statements and commits carry the same deliveries (measured on
 * the bench's PostgreSQL row, alternating: 2,550–2,860 deliveries a second with one, 2,240–2,420 with two).
 */
const BATCHES_IN_FLIGHT = 1;
/** The most calls one batch takes. */
const BATCH_MAX = 64;
/** `lock_not_available`: the migration's lock_timeout passed while 0.1 instances held its tables. */
const LOCK_NOT_AVAILABLE = '55P03';

const isPool = (value: unknown): value is Pool =>
  typeof value === 'object' && value !== null && typeof (value as Pool).query === 'function' && typeof (value as Pool).connect === 'function';

/** `ntw_admit_v2`'s answer: for a new entry only the columns it set (`created`), else the whole row (`entry`). */
type AdmitJson =
  | { readonly admitted: true; readonly conflict: false; readonly created: CreatedRow }
  | { readonly admitted: boolean; readonly conflict: boolean; readonly entry: EntryRow };

type CreatedRow = Pick<EntryRow, 'status' | 'attempts' | 'due_at' | 'last_error' | 'projection' | 'stale_reason'>;

const iso = (date: Date) => date.toISOString();
const keyOf = (key: EventKey) => `${key.provider}\u0000${key.id}`;
/** The columns `entryFromRow` reads, of a ledger row named `e`, times as epoch ms. */
const ENTRY_E = ENTRY_COLUMNS.map((c) => (TIME_COLUMNS.has(c) ? `${ms(`e.${c}`)} AS ${c}` : `e.${c}`)).join(', ');
const PRUNE_BATCH = 1000;
/** How far before the last full batch's due times `leaseMany` starts its next scan. */
const LEASE_FROM_SLACK_MS = 100;
/** `leaseMany` scans the due index from its front at least this often. */
const FULL_LEASE_EVERY_MS = 1000;

/** An attempt appended to the row's log: its attempts as they were, the outcome `$o` and the error `$e` (parameter numbers). */
const attempt = (o: number, e: number) => `attempt_log = ${appendedSql('attempt_log',
  `jsonb_strip_nulls(jsonb_build_object('at', ${NOW_MS}, 'attempt', attempts, 'outcome', $${o}::text, 'error', $${e}::text))`)}`;

/** The providers stored, each found by one seek of the primary key (PostgreSQL has no skip scan). */
const providersCte = (ledger: string) => `WITH RECURSIVE providers(p) AS (SELECT (SELECT min(provider) FROM ${ledger})
  UNION ALL SELECT (SELECT min(provider) FROM ${ledger} WHERE provider > p) FROM providers WHERE p IS NOT NULL)`;

/**
 * Storage in PostgreSQL (`pg`), for several app instances sharing one database. Leases are judged by the
 * database clock (`now()`). Every transition is one round trip: admitting and leasing (each applying the
 * taken entry's state to its token) are functions, settling one `UPDATE`; `leaseMany` takes a batch in one. Leasing uses `FOR UPDATE SKIP
 * LOCKED`, so workers on any number of instances each take a different entry without waiting on each other.
 * Admits and `done` settles of concurrent deliveries share one statement and one commit (`groupCommit`).
 */
export class PostgresStorage implements Storage {
  readonly names: PostgresNames;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly timeoutMs: number;
  /** Connections of the pool it created, until the pool has removed them: `close()` destroys those left. */
  private readonly clients = new Set<PoolClient>();
  private closed = false;
  private readonly prepared: PreparedQueries;
  private readonly migrations: 'apply' | 'verify';
  private readonly admits: Coalescer<AdmitItem, AdmitJson> | undefined;
  private readonly dones: Coalescer<OwnedSettlement, boolean> | undefined;
  private readonly batchSql: { readonly admit: string; readonly settle: string };
  /** Where `leaseMany`'s last full batch was due to (epoch ms, the database's clock): the next starts there. */
  private leaseFrom: number | undefined;
  /** When `leaseMany` last scanned the due index from its front (`performance.now()`). */
  private lastFullLease = -Infinity;
  private readonly statistics: LedgerStatistics;

  constructor(options: string | Pool | PostgresStorageOptions) {
    const opts: PostgresStorageOptions = typeof options === 'string' ? { connectionString: options } : isPool(options) ? { pool: options } : options;
    checkOptionNames('PostgresStorage', opts, {
      connectionString: true, pool: true, poolConfig: true, schema: true, timeoutMs: true, preparedStatements: true, migrations: true,
      groupCommit: true,
    } satisfies NamesOf<PostgresStorageOptions>);
    this.names = postgresNames(opts.schema ?? 'public');
    this.batchSql = { admit: admitBatchSql(this.names), settle: settleBatchSql(this.names) };
    this.timeoutMs = timeoutMsOption('PostgresStorage', opts.timeoutMs, POSTGRES_TIMEOUT_MS);
    this.migrations = opts.migrations ?? 'apply';
    if (this.migrations !== 'apply' && this.migrations !== 'verify') {
      throw new ConfigurationError('ERR_NTW_OPTION', "PostgresStorage migrations must be 'apply' or 'verify'");
    }
    const preparedStatements = booleanOption('PostgresStorage', 'preparedStatements', opts.preparedStatements, true);
    const groupCommit = booleanOption('PostgresStorage', 'groupCommit', opts.groupCommit, true);
    if (opts.pool) {
      this.pool = opts.pool;
      this.ownsPool = false;
    } else {
      const pg = loadDriver<typeof import('pg')>('pg', 'PostgresStorage');
      const t = Math.ceil(this.timeoutMs);
      this.pool = new pg.Pool({
        connectionTimeoutMillis: t,
        statement_timeout: t,
        idle_in_transaction_session_timeout: t,
        query_timeout: t + CLIENT_GRACE_MS,
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        ...opts.poolConfig,
        connectionString: opts.connectionString ?? opts.poolConfig?.connectionString,
      });
      // An idle connection that breaks (database restart) must not crash the app: the next query reconnects.
      this.pool.on('error', (error) => log.warn({ error: error.message }, 'idle connection error', loggerOf(this)));
      this.pool.on('connect', (client) => { this.clients.add(client); });
      this.pool.on('remove', (client) => { this.clients.delete(client); });
      this.ownsPool = true;
    }
    this.prepared = new PreparedQueries(this.pool, preparedStatements, (error) => {
      log.warn({ error: error.message }, 'the server does not keep prepared statements: unnamed queries from now on', loggerOf(this));
    });
    this.statistics = new LedgerStatistics(this.names, {
      row: async (sql) => (await this.pool.query<Record<string, unknown>>(sql)).rows[0],
      // A large ledger takes longer to sample than a delivery's query may run; it runs apart from them.
      run: (sql) => this.transaction(async (client) => {
        await client.query(`SET LOCAL statement_timeout = ${ANALYZE_TIMEOUT_MS}`);
        await client.query({ text: sql, query_timeout: ANALYZE_TIMEOUT_MS + CLIENT_GRACE_MS } as QueryConfig);
      }),
      failed: (error) => this.closed || log.warn({ error: error.message }, 'could not gather the ledger\'s statistics', loggerOf(this)),
    });
    if (groupCommit) {
      // a call waits for a batch at most as long as the pool lets a query wait for a connection
      const batches = { inFlight: BATCHES_IN_FLIGHT, maxBatch: BATCH_MAX, maxWaitMs: this.timeoutMs, isolate: isOneItemFailure };
      this.admits = new Coalescer({
        ...batches, maxBytes: BATCH_MAX_BYTES, size: (item) => item.record.body.length, one: (item) => this.admitOne(item), many: (items) => this.admitMany(items),
      });
      this.dones = new Coalescer({ ...batches, one: (s) => this.settleOne(s.key, s.owner, s.settlement), many: (items) => this.settleMany(items) });
    }
  }

  describe(): string {
    const o = (this.pool as unknown as { options?: PoolConfig }).options ?? {};
    let { host, port, database } = o;
    if (o.connectionString) {
      try {
        const url = new URL(o.connectionString);
        host ??= decodeURIComponent(url.hostname) || (url.searchParams.get('host') ?? undefined);
        port ??= Number(url.port) || undefined;
        database ??= decodeURIComponent(url.pathname.slice(1)) || undefined;
      } catch {
        // not a URL (a key=value string): the defaults below
      }
    }
    const where = `${host ?? process.env['PGHOST'] ?? 'localhost'}:${port ?? process.env['PGPORT'] ?? 5432}`;
    return `PostgreSQL at ${where}/${database ?? process.env['PGDATABASE'] ?? ''}`;
  }

  /**
   * Bring the schema to this version (`migrations: 'apply'`, the default): the numbered steps not yet applied, in one
   * transaction under an advisory lock, so instances starting together apply each once. With `'verify'`, only check
   * that it is at this version. Refuses a schema a newer version wrote, and waits (then refuses) while instances of
   * 0.1 still run events in it.
   */
  async init(): Promise<void> {
    await this.migrate();
    void this.statistics.start();
  }

  private async migrate(): Promise<void> {
    const version = await postgresSchemaVersion((sql) => this.pool.query<{ version: number | null }>(sql), this.names);
    const verify = this.migrations === 'verify' ? { howToApply: 'npx network-token-webhooks migrate postgres --print' } : undefined;
    if (pendingSteps(POSTGRES_MIGRATIONS, version, this.names.schema, verify).length === 0) return;
    const script = postgresMigrationScript(this.names);
    for (const waitUntil = Date.now() + OLDER_VERSION_WAIT_MS; ;) {
      try {
        await this.transaction(async (client) => {
          await client.query(`SET LOCAL statement_timeout = ${MIGRATION_TIMEOUT_MS}`);
          await client.query({ text: script, query_timeout: MIGRATION_TIMEOUT_MS + CLIENT_GRACE_MS } as QueryConfig);
        });
        break;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === SCHEMA_NEWER) throw schemaNewer(this.names.schema, await postgresSchemaVersion((sql) => this.pool.query(sql), this.names), POSTGRES_SCHEMA_VERSION);
        // 0.1 instances hold live claims (or kept the lock past lock_timeout): they finish within their lease.
        if ((code !== OLDER_VERSION_ACTIVE && code !== LOCK_NOT_AVAILABLE) || Date.now() > waitUntil) {
          if (code === OLDER_VERSION_ACTIVE || code === LOCK_NOT_AVAILABLE) throw olderVersionActive(this.describe(), (error as Error).message);
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    log.info({ schema: this.names.schema, from: version, to: POSTGRES_SCHEMA_VERSION }, 'schema migrated', loggerOf(this));
  }

  /** Run `work` in a transaction on one connection of the pool; a connection whose rollback failed is discarded. */
  private async transaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    const client: PoolClient = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => { broken = rollbackError; });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /**
   * An `UPDATE` of the ledger that matches no row, in one round trip: it writes nothing (no row, no WAL, no
   * transaction id), but PostgreSQL refuses it in a read-only transaction: a hot standby (after a failover that left
   * the pool on a replica) or `default_transaction_read_only`. It also needs the ledger and the right to update it.
   */
  async probe(): Promise<void> {
    await this.pool.query(`UPDATE ${this.names.ledger} SET status = status WHERE false`);
  }

  /**
   * End the pool it created: wait for the queries running (each bounded by `query_timeout`) and say goodbye to
   * the server, at most `timeoutMs` + 1 s; then destroy every connection left, such as one whose goodbye a silent
   * network never answers, so that nothing keeps the process alive.
   */
  async close(): Promise<void> {
    if (this.closed || !this.ownsPool) return;
    this.closed = true;
    const ended = this.pool.end().then(() => this.allRemoved());
    const done = await closeWithin(ended, this.timeoutMs + 1000);
    if (!done) log.warn({ connections: this.clients.size, durationMs: this.timeoutMs + 1000 }, 'close: connections still open; destroying them', loggerOf(this));
    for (const client of this.clients) client.connection.stream.destroy();
    this.clients.clear();
  }

  /** Resolves `true` once the pool has removed every connection (each closed its socket). */
  private allRemoved(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.clients.size > 0) return;
        this.pool.off('remove', check);
        resolve(true);
      };
      this.pool.on('remove', check);
      check();
    });
  }

  /** The database's clock: `clock_timestamp()`, the time the statement reads it. */
  async clock(): Promise<Date> {
    const result = await this.pool.query<{ now: number }>(`SELECT ${ms('clock_timestamp()')} AS now`);
    return new Date(Number(result.rows[0]!.now));
  }

  /** Resolves once the entry is committed; concurrent admits share one statement and one commit (`groupCommit`). */
  async admit(record: EntryRecord, admit: Admit): Promise<Admission> {
    const item = { record, admit };
    return this.admission(record, await (this.admits ? this.admits.call(item) : this.admitOne(item)));
  }

  private async admitOne(item: AdmitItem): Promise<AdmitJson> {
    const result = await this.prepared.query<{ r: AdmitJson }>(`SELECT ${this.names.admit}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) AS r`,
      admitValues(item));
    return result.rows[0]!.r;
  }

  private async admitMany(items: readonly AdmitItem[]): Promise<AdmitJson[]> {
    const result = await this.prepared.query<{ i: number; r: AdmitJson }>(this.batchSql.admit, admitColumns(items));
    if (result.rows.length !== items.length) throw new Error(`a batch of ${items.length} admits answered ${result.rows.length} rows`);
    const replies = new Array<AdmitJson>(items.length);
    for (const row of result.rows) replies[row.i - 1] = row.r;
    return replies;
  }

  private admission(record: EntryRecord, reply: AdmitJson): Admission {
    if ('created' in reply) {
      this.statistics.created();
      const { status, attempts, due_at: dueAt, last_error: lastError, projection, stale_reason: staleReason } = reply.created;
      return { admitted: true, entry: admittedEntry(record, { status, attempts, dueAt, lastError, projection, staleReason }) };
    }
    const entry = entryFromRow(reply.entry);
    return reply.admitted ? { admitted: true, entry } : { admitted: false, entry, conflict: reply.conflict };
  }

  async lease(owner: string, leaseMs: number, key?: EventKey): Promise<Entry | undefined> {
    const result = await this.prepared.query<{ r: EntryRow | null }>(`SELECT ${this.names.lease}($1, $2, $3, $4) AS r`,
      [owner, leaseMs, key?.provider ?? null, key?.id ?? null]);
    const row = result.rows[0]?.r;
    return row ? entryFromRow(row) : undefined;
  }

  /**
   * One call of the batch function (schema step 4): the entries `FOR UPDATE SKIP LOCKED`, one commit for all.
   *
   * Each lease leaves a dead row version at the front of the due index until a vacuum removes it (later, when a
   * long transaction anywhere in the database holds the cleanup back), and a scan from the front steps over every
   * one: measured once a burst of 50,000 events had ended, about 190 ms a call for 50 entries, against 16 ms for
   * calls that start where the previous batch ended. So
   * while the batches come back full, the next call starts where the last one's entries were due (less
   * `LEASE_FROM_SLACK_MS`, for an admit that committed after a later one); one that comes back short, and one call
   * a second at least, scans from the front, for what a later start would miss (a lease that expired).
   */
  async leaseMany(owner: string, leaseMs: number, limit: number): Promise<Entry[]> {
    const now = performance.now();
    const from = this.leaseFrom !== undefined && now - this.lastFullLease < FULL_LEASE_EVERY_MS ? new Date(this.leaseFrom - LEASE_FROM_SLACK_MS) : null;
    if (from === null) this.lastFullLease = now;
    const result = await this.prepared.query<{ r: EntryRow & { due_was: number } }>(`SELECT r FROM ${this.names.leaseMany}($1, $2, $3, $4::timestamptz) AS r`,
      [owner, leaseMs, limit, from && iso(from)]);
    let last = -Infinity;
    for (const { r } of result.rows) last = Math.max(last, Number(r.due_was));
    this.leaseFrom = result.rows.length === limit ? last : undefined;
    return result.rows.map((row) => entryFromRow(row.r));
  }

  async extend(key: EventKey, owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.prepared.query(`UPDATE ${this.names.ledger} SET due_at = now() + $4 * interval '1 millisecond'
      WHERE provider = $1 AND id = $2 AND status = 'running' AND owner = $3 AND due_at > now()`, [key.provider, key.id, owner, leaseMs]);
    return result.rowCount === 1;
  }

  /** A run's outcome, resolving once committed; concurrent `done` settles share one statement and one commit (`groupCommit`). */
  async settle(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    return settlement.status === 'done' && this.dones ? this.dones.call({ key, owner, settlement }) : this.settleOne(key, owner, settlement);
  }

  private async settleOne(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    if (settlement.status === 'done') {
      const result = await this.prepared.query(`UPDATE ${this.names.ledger} SET status = 'done', owner = NULL, due_at = now(), ${attempt(3, 4)}
          WHERE provider = $1 AND id = $2`, [key.provider, key.id, 'done', null]);
      return result.rowCount === 1;
    }
    const result = await this.prepared.query(`UPDATE ${this.names.ledger} SET status = $4, owner = NULL, last_error = $5,
          due_at = now() + $6 * interval '1 millisecond', ${attempt(4, 5)}
        WHERE provider = $1 AND id = $2 AND status = 'running' AND owner = $3`,
    [key.provider, key.id, owner, settlement.status, settlement.error, settlement.status === 'failed' ? settlement.retryInMs : 0]);
    return result.rowCount === 1;
  }

  /**
   * One `UPDATE` of every row (`settleBatchSql`), as `settle` updates one, its rows locked in key order first; the
   * `done` settles of concurrent deliveries go this way too (`groupCommit`). A key given twice (never by the worker
   * nor on the delivery path) is settled twice, in turn, one statement each.
   */
  async settleMany(settlements: readonly OwnedSettlement[]): Promise<boolean[]> {
    if (settlements.length === 0) return [];
    const keys = settlements.map((s) => keyOf(s.key));
    if (new Set(keys).size < keys.length) {
      const settled: boolean[] = [];
      for (const s of settlements) settled.push(await this.settleOne(s.key, s.owner, s.settlement));
      return settled;
    }
    const result = await this.prepared.query<EventKey>(this.batchSql.settle, settleColumns(settlements));
    const settled = new Set(result.rows.map(keyOf));
    return keys.map((k) => settled.has(k));
  }

  async requeue(id: string, provider?: string, from: readonly RequeueableStatus[] = REQUEUEABLE_STATUSES): Promise<EventKey[]> {
    const result = await this.pool.query<EventKey>(`UPDATE ${this.names.ledger} SET status = 'pending', attempts = 0, owner = NULL,
        due_at = now(), last_error = NULL, ${attempt(3, 4)}
      WHERE id = $1 AND ($2::text IS NULL OR provider = $2) AND status IN ('failed', 'dead', 'done') AND status = ANY($5::text[])
      RETURNING provider, id`, [id, provider ?? null, 'requeued', null, from]);
    return result.rows.map((row) => ({ provider: row.provider, id: row.id }));
  }

  async getEntry(key: EventKey): Promise<Entry | undefined> {
    const result = await this.pool.query<EntryRow>(`SELECT ${ENTRY_E} FROM ${this.names.ledger} e WHERE provider = $1 AND id = $2`,
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
    // A token without a provider: one lookup of the token index per provider stored (an id has an index of its own).
    const anyProvider = query.provider === undefined && query.tokenRef !== undefined && query.id === undefined;
    if (query.provider !== undefined) add((n) => `provider = ${n}`, query.provider);
    if (anyProvider) where.push('provider IN (SELECT p FROM providers)');
    if (query.id !== undefined) add((n) => `id = ${n}`, query.id);
    if (query.tokenRef !== undefined) add((n) => `token_ref = ${n}`, query.tokenRef);
    if (query.status !== undefined) add((n) => `status = ${n}`, query.status);
    if (query.since !== undefined) add((n) => `received_at >= ${n}::timestamptz`, iso(query.since));
    if (query.until !== undefined) add((n) => `received_at < ${n}::timestamptz`, iso(query.until));
    if (query.conflicted === true) where.push('conflicts > 0');
    const newest = query.order === 'newest';
    if (query.after !== undefined) {
      const { receivedAt, provider, id } = query.after;
      params.push(iso(receivedAt), provider, id);
      const [t, p, i] = [params.length - 2, params.length - 1, params.length].map((n) => `$${n}`);
      where.push(`received_at ${newest ? '<=' : '>='} ${t}::timestamptz AND (received_at, provider, id) ${newest ? '<' : '>'} (${t}::timestamptz, ${p}, ${i})`);
    }
    params.push(query.limit ?? 100);
    const direction = newest ? 'DESC' : 'ASC';
    const result = await this.pool.query<EntryRow>(`${anyProvider ? providersCte(this.names.ledger) : ''} SELECT ${ENTRY_E} FROM ${this.names.ledger} e
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.received_at ${direction}, e.provider ${direction}, e.id ${direction} LIMIT $${params.length}`, params);
    return result.rows.map(entryFromRow);
  }

  /**
   * Received entries from an index holding every column the count needs (`ntw_ledger_received_counts`), open ones
   * by the status index (few, as a rule: no index of its own to maintain on every delivery), tokens from their counts.
   */
  async stats(query: StatsQuery): Promise<LedgerStats> {
    const { ledger, tokenCounts } = this.names;
    const byProvider = query.provider === undefined ? '' : 'AND provider = $1';
    const p = query.provider === undefined ? [] : [query.provider];
    const count = 'count(*)::integer AS count';
    const window = statsWindow(query);
    const [received, open, tokens, conflicted] = await Promise.all([
      this.pool.query<{ minute: number; provider: string; status: EntryStatus; count: number }>(
        `SELECT floor(${ms('received_at')} / ${STATS_BUCKET_MS}) * ${STATS_BUCKET_MS} AS minute, provider, status, ${count} FROM ${ledger}
        WHERE received_at >= $${p.length + 1}::timestamptz AND received_at < $${p.length + 2}::timestamptz ${byProvider}
        GROUP BY 1, provider, status`, [...p, iso(new Date(window.since)), iso(new Date(window.until))]),
      this.pool.query<StatusCount>(`SELECT provider, status, ${count} FROM ${ledger} WHERE status IN (${OPEN_STATUSES_SQL}) ${byProvider} GROUP BY status, provider`, p),
      this.pool.query<TokenStateCount>(`SELECT provider, state, sum(count)::integer AS count FROM ${tokenCounts} WHERE true ${byProvider}
        GROUP BY provider, state HAVING sum(count) > 0`, p),
      this.pool.query<{ count: number }>(`SELECT ${count} FROM ${ledger} WHERE conflicts > 0 ${byProvider}`, p),
    ]);
    return {
      received: received.rows.map((r) => ({ ...r, minute: new Date(Number(r.minute)) })),
      open: open.rows, tokens: tokens.rows, conflicted: conflicted.rows[0]!.count,
    };
  }

  async getHistory(key: EventKey): Promise<EntryHistory> {
    const result = await this.pool.query<{ attempt_log: unknown; copy_log: unknown }>(
      `SELECT attempt_log, copy_log FROM ${this.names.ledger} WHERE provider = $1 AND id = $2`, [key.provider, key.id]);
    const row = result.rows[0];
    return row ? historyFromJson(row.attempt_log, row.copy_log) : NO_HISTORY;
  }

  /** Added in one statement (the counts of one minute and kind merged first), the minutes past `REFUSALS_KEPT_MS` deleted in it. */
  async addRefusals(counts: readonly RefusalMinute[]): Promise<void> {
    const rows = mergeRefusals(counts.map((c) => ({ ...c, minute: new Date(minuteOf(c.minute)) })));
    await this.pool.query(`WITH forgotten AS (DELETE FROM ${this.names.refusals} WHERE minute < date_trunc('minute', now()) - $7 * interval '1 millisecond')
      INSERT INTO ${this.names.refusals} AS r (minute, provider, status, code, count, last_at)
        SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::integer[], $4::text[], $5::bigint[], $6::timestamptz[])
      ON CONFLICT (minute, provider, status, code) DO UPDATE SET count = r.count + excluded.count, last_at = greatest(r.last_at, excluded.last_at)`, [
      rows.map((r) => iso(r.minute)), rows.map((r) => r.provider), rows.map((r) => r.status), rows.map((r) => r.code), rows.map((r) => r.count),
      rows.map((r) => iso(r.last)), REFUSALS_KEPT_MS,
    ]);
  }

  async listRefusals(since: Date): Promise<RefusalMinute[]> {
    const result = await this.pool.query<{ minute: number; provider: string; status: number; code: string; count: string; last_at: number }>(
      `SELECT ${ms('minute')} AS minute, provider, status, code, count, ${ms('last_at')} AS last_at FROM ${this.names.refusals} WHERE minute >= $1::timestamptz`,
      [iso(new Date(minuteOf(since)))]);
    return result.rows.map((r) => ({
      minute: new Date(Number(r.minute)), provider: r.provider, status: r.status, code: r.code, count: Number(r.count), last: new Date(Number(r.last_at)),
    }));
  }

  async getTokenState(provider: string, tokenRef: string): Promise<TokenStateRecord | undefined> {
    const result = await this.pool.query<StateRow>(`SELECT provider, token_ref, state, (extract(epoch from occurred_at) * 1000)::float8 AS occurred_at,
      event_id, (extract(epoch from updated_at) * 1000)::float8 AS updated_at FROM ${this.names.states}
      WHERE provider = $1 AND token_ref = $2`, [provider, tokenRef]);
    return result.rows[0] && stateFromRow(result.rows[0]);
  }

  /** Deletes in batches of 1000, so that no statement runs into `statement_timeout` however much is due. */
  async prune(olderThan: Date): Promise<PruneResult> {
    let entries = 0;
    for (;;) {
      const result = await this.pool.query(`DELETE FROM ${this.names.ledger} WHERE (provider, id) IN (
        SELECT provider, id FROM ${this.names.ledger} WHERE status = 'done' AND received_at < $1::timestamptz LIMIT $2)`,
      [iso(olderThan), PRUNE_BATCH]);
      entries += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < PRUNE_BATCH) return { entries };
    }
  }
}
