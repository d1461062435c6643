/**
 * `network-token-webhooks/redis`: the Redis storage (ioredis), on one server or a Redis Cluster.
 *
 * @module network-token-webhooks/redis
 */
import { crc32 } from 'node:zlib';
import type { Socket } from 'node:net';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type {
  Admission, Admit, Entry, EntryHistory, EntryQuery, EntryRecord, EntryStatus, EventKey, LedgerStats, ProjectionOutcome, PruneResult, ReceivedCount,
  OwnedSettlement, RefusalMinute, Settlement, StatsQuery, StatusCount, Storage, TokenStateCount, TokenStateRecord,
} from './storage';
import { REFUSALS_KEPT_MS, REQUEUEABLE_STATUSES, STATS_BUCKET_MS, statsWindow } from './storage';
import type { RequeueableStatus } from './storage';
import { compareEntries, matchesQuery } from './entry-query';
import { NO_HISTORY, historyFromJson, mergeRefusals, minuteOf } from './kit/history';
import type { StaleReason, TokenState } from '../events';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import { loadDriver } from './driver';
import { admittedEntry } from './kit/ledger-rules';
import { booleanOption, closeWithin, timeoutMsOption } from './kit/options';
import { BATCH_MAX_BYTES, Coalescer } from './kit/coalesce';
import { ADD_REFUSALS, ADMIT, ADMIT_MANY, DUE_TIMES, EXTEND, LEASE, LEASE_MANY, PROJECT, PRUNE, REQUEUE, SETTLE, SETTLE_MANY, runScript } from './redis-scripts';
import { logger, loggerOf } from '../log';
import { migrateRedis } from './kit/migrations/redis';
import type { RedisLayout } from './redis-layout';
import { EvictionGuard } from './redis-eviction';
import { probeRedis } from './redis-probe';

const log = logger('storage:redis');

export interface RedisStorageOptions {
  /** e.g. `redis://127.0.0.1:6379` (`REDIS_URL`). Ignored when `client` is given. */
  readonly url?: string;
  /** An existing ioredis client or `Cluster`: the storage uses it and never closes it. Must not have its own `keyPrefix`. */
  readonly client?: Redis | Cluster;
  /** Further options for the client the storage creates. */
  readonly redisOptions?: RedisOptions;
  /** Prefix of every key. Default `ntw:`. */
  readonly keyPrefix?: string;
  /** How long `init()` waits for the connection, in ms. Default 10000. */
  readonly connectTimeoutMs?: number;
  /**
   * The longest one command may take, in ms. Default 4000: under the delivery core's `storageTimeoutMs` (5000).
   * For the client the storage creates (a setting in `redisOptions` wins):
   * - a command unanswered within it fails (`commandTimeout`);
   * - a connection that was sent something and answered nothing for that long is destroyed and replaced: a
   *   silent network (a vanished host, a failover, a dropped NAT entry) leaves a half-open connection that
   *   ioredis would otherwise keep writing to forever. This covers the connection's handshake too;
   * - a TCP connection must be established within it (`connectTimeout`); TCP keep-alive after 10 s idle (`keepAlive`);
   * - it reconnects after 100 ms × attempt, at most 1 s apart, without end (`retryStrategy`); while disconnected,
   *   commands fail at once (`enableOfflineQueue: false`, `maxRetriesPerRequest: 1`), and commands a lost
   *   connection left unanswered are not sent again on the next one (`autoResendUnfulfilledCommands: false`).
   * `close()` waits for QUIT at most this long, then destroys the connection.
   */
  readonly timeoutMs?: number;
  /**
   * Entries are spread over this many hash-tagged shards, each with its own indexes, so a Redis Cluster
   * spreads them over its nodes. Default 1 on a single server, 16 on a cluster. Choose it once: entries
   * written under one count are not found under another.
   */
  readonly shards?: number;
  /**
   * Start even though Redis's `maxmemory-policy` may evict the ledger's keys (`allkeys-lru`, `allkeys-lfu`,
   * `allkeys-random`), which `init()` otherwise refuses (`ERR_NTW_REDIS_EVICTION`): you accept that evicted ledger
   * keys mean events run again and deleted tokens revive. Default `false`.
   */
  readonly allowEviction?: boolean;
  /**
   * Admits and `done` settles of concurrent deliveries share one script call (on a cluster, one per shard): while
   * one call is out, the next calls wait and leave together. An idle server gets a call at the end of the event
   * loop's turn, with the calls made in it. Each entry is written as its own call writes it, and a failure of one
   * entry's script fails only its delivery.
   * Default `true`; `false` sends every call on its own.
   */
  readonly groupCommit?: boolean;
}

/** The default of `timeoutMs`. */
export const REDIS_TIMEOUT_MS = 4000;

const enc = encodeURIComponent;
const PRUNE_BATCH = 500;
const SCAN_BATCH = 200;
/** The most calls one shared script call takes (`groupCommit`). */
const BATCH_MAX = 64;

/** What one admit sends: the script's keys and arguments for it. */
interface AdmitCall {
  readonly shard: number;
  /** The body's length, for the batch's bound by bytes. */
  readonly bytes: number;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/** ADMIT's reply: admitted, conflict, the entry's fields (only those it set, for a new entry), new. */
type AdmitReply = [number, number, (string | number)[], number];

const isClient = (value: unknown): value is Redis | Cluster =>
  typeof value === 'object' && value !== null && typeof (value as Redis).evalsha === 'function';

function hashFromReply(reply: unknown): Record<string, string> {
  const list = reply as (string | number)[];
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) hash[list[i]!] = String(list[i + 1]!);
  return hash;
}

function entryFromHash(h: Record<string, string>): Entry | undefined {
  if (!h.provider || h.id === undefined || !h.status) return undefined;
  return {
    provider: h.provider, id: h.id, status: h.status as EntryStatus, attempts: Number(h.attempts ?? 0),
    dueAt: new Date(Number(h.dueAt)), ...(h.lastError ? { lastError: h.lastError } : {}),
    fingerprint: h.fingerprint ?? '', conflicts: Number(h.conflicts ?? 0), type: h.type ?? '', tokenRef: h.tokenRef ?? '',
    ...(h.state ? { state: h.state as TokenState } : {}),
    occurredAt: new Date(Number(h.occurredAt)), receivedAt: new Date(Number(h.receivedAt)),
    ...(h.projection ? { projection: h.projection as ProjectionOutcome } : {}), ...(h.staleReason ? { staleReason: h.staleReason as StaleReason } : {}),
    body: h.body ?? '',
  };
}

function tokenFromReply(provider: string, tokenRef: string, reply: unknown): TokenStateRecord | undefined {
  const [state, occurredAt, eventId, updatedAt] = (reply || []) as (string | null)[];
  if (!state || !occurredAt || !eventId || !updatedAt) return undefined;
  return { provider, tokenRef, state: state as TokenState, occurredAt: new Date(Number(occurredAt)), eventId, updatedAt: new Date(Number(updatedAt)) };
}

/**
 * Storage in Redis (`ioredis`), a single server or a Cluster. Every transition is one Lua script judged by
 * the Redis clock (`TIME`). Keys (under `keyPrefix`), `{s<n>}` being an entry's shard (its hash tag):
 * `{s<n>}:e:<provider>:<id>` (hash), `{s<n>}:due` (pending, failed and running entries by due time or lease
 * end), `{s<n>}:recv` (all by receipt), `{s<n>}:status:<status>`; a token's `{t:<provider>:<tokenRef>}` (its
 * state) and `{t:<provider>:<tokenRef>}:events` (its entries by receipt). On one server, taking an entry
 * applies its state in the same script; on a cluster, where the token's keys live in another slot, by a second
 * script right after (two more round trips: taking an entry costs three there, one on a single server).
 */
export class RedisStorage implements Storage {
  readonly keyPrefix: string;
  readonly shards: number;
  private readonly client: Redis | Cluster;
  private readonly cluster: boolean;
  private readonly ownsClient: boolean;
  private readonly connectTimeoutMs: number;
  private readonly timeoutMs: number;
  private readonly stopWatchdog: (() => void) | undefined;
  private readonly eviction: EvictionGuard;
  private leaseCursor = 0;
  private readonly admits: Coalescer<AdmitCall, AdmitReply | Error> | undefined;
  private readonly dones: Coalescer<OwnedSettlement, boolean> | undefined;

  constructor(options: string | Redis | Cluster | RedisStorageOptions = {}) {
    const opts: RedisStorageOptions = typeof options === 'string' ? { url: options } : isClient(options) ? { client: options } : options;
    checkOptionNames('RedisStorage', opts, {
      url: true, client: true, redisOptions: true, keyPrefix: true, connectTimeoutMs: true, timeoutMs: true, shards: true, allowEviction: true,
      groupCommit: true,
    } satisfies NamesOf<RedisStorageOptions>);
    const allowEviction = booleanOption('RedisStorage', 'allowEviction', opts.allowEviction, false);
    const groupCommit = booleanOption('RedisStorage', 'groupCommit', opts.groupCommit, true);
    this.eviction = new EvictionGuard(allowEviction, this);
    this.keyPrefix = opts.keyPrefix ?? 'ntw:';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.timeoutMs = timeoutMsOption('RedisStorage', opts.timeoutMs, REDIS_TIMEOUT_MS);
    if (opts.client) {
      if (opts.client.options.keyPrefix) {
        throw new ConfigurationError('ERR_NTW_OPTION', 'RedisStorage needs a client without keyPrefix: pass keyPrefix to RedisStorage instead');
      }
      this.client = opts.client;
      this.ownsClient = false;
    } else {
      const IORedis = loadDriver<typeof import('ioredis')>('ioredis', 'RedisStorage').default;
      // Fail fast while disconnected (the pipeline answers retry-later) and reconnect in the background.
      const t = Math.ceil(this.timeoutMs);
      const settings: RedisOptions = {
        lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, autoResendUnfulfilledCommands: false,
        commandTimeout: t, connectTimeout: t, keepAlive: 10_000, retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
        ...opts.redisOptions, keyPrefix: '',
      };
      const client = opts.url ? new IORedis(opts.url, settings) : new IORedis(settings);
      client.on('error', (error: Error) => log.warn({ error: error.message }, 'connection error', loggerOf(this)));
      this.stopWatchdog = replaceSilentConnections(client, t, this);
      this.client = client;
      this.ownsClient = true;
    }
    this.cluster = (this.client as { isCluster?: boolean }).isCluster === true;
    this.shards = opts.shards ?? (this.cluster ? 16 : 1);
    if (!Number.isInteger(this.shards) || this.shards < 1 || this.shards > 1024) {
      throw new ConfigurationError('ERR_NTW_OPTION', 'RedisStorage shards must be an integer from 1 to 1024');
    }
    if (groupCommit) {
      // A failed call failed every entry in it (a lost connection, a timeout): an entry's own failure comes back in its reply.
      const batches = { inFlight: 1, maxBatch: BATCH_MAX, maxWaitMs: this.timeoutMs, isolate: () => false };
      this.admits = new Coalescer({
        ...batches, maxBytes: BATCH_MAX_BYTES, size: (call) => call.bytes, one: (call) => this.admitOne(call), many: (calls) => this.admitMany(calls),
      });
      this.dones = new Coalescer({ ...batches, one: (s) => this.settleOne(s.key, s.owner, s.settlement), many: (items) => this.settleMany(items) });
    }
  }

  describe(): string {
    if (this.cluster) {
      const nodes = (this.client as unknown as { startupNodes?: ReadonlyArray<{ host?: string; port?: number } | string | number> }).startupNodes ?? [];
      // a node given as a URL may carry a password: only what follows the last '@' is shown
      const shown = (n: (typeof nodes)[number]) => (typeof n === 'object' ? `${n.host ?? 'localhost'}:${n.port ?? 6379}` : String(n).split('@').at(-1)!.replace(/^\w+:\/\//, ''));
      return `Redis Cluster at ${nodes.map(shown).join(', ')}`;
    }
    const { host, port, path } = (this.client as Redis).options;
    return `Redis at ${path ?? `${host ?? 'localhost'}:${port ?? 6379}`}`;
  }

  /**
   * Connect (when the storage made the client), wait until the server answers, and refuse a `maxmemory-policy`
   * that may evict the ledger's keys (`ERR_NTW_REDIS_EVICTION`, unless `allowEviction`).
   */
  async init(): Promise<void> {
    const client = this.client;
    if (client.status === 'wait') await client.connect();
    else if (client.status !== 'ready' && client.options.enableOfflineQueue === false) await this.waitReady();
    await client.ping();
    await this.eviction.check(client, this.describe());
    await migrateRedis(this.layout());
  }

  /** Where this storage keeps what, for the migrations. */
  private layout(): RedisLayout {
    return {
      client: this.client, keyPrefix: this.keyPrefix, cluster: this.cluster, where: this.describe(), shards: this.shards,
      shardKey: (shard, suffix) => this.k(shard, suffix),
      entry: (key) => {
        const s = this.shardOf(key);
        const member = this.member(key);
        return { entry: this.entryKey(s, member), due: this.k(s, 'due'), recv: this.k(s, 'recv'), statusPrefix: this.k(s, 'status:'), member, timelineMember: `${s}|${member}` };
      },
      tokenKey: (provider, tokenRef) => this.tokenKey(provider, tokenRef),
      timelineKey: (provider, tokenRef) => this.timelineKey(provider, tokenRef),
      tokenCountsKey: () => this.tokenCountsKey(),
    };
  }

  /**
   * A write it discards (a probe key, set and deleted: refused when Redis is out of memory or a replica) and,
   * with it, the eviction policy: one round trip (on a cluster, one per shard and one per master, at once).
   */
  async probe(): Promise<void> {
    await probeRedis(this.client, this.eviction, { shards: this.shards, key: (shard) => this.k(shard, 'probe'), where: () => this.describe() });
  }

  /** Quit the client it created: at most `timeoutMs`, then the connection is destroyed (a QUIT a silent network never answers). */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    this.stopWatchdog?.();
    const client = this.client as Redis;
    if (client.status === 'end') return;
    if (client.status === 'wait') return client.disconnect(); // never connected
    if (await closeWithin(client.quit(), this.timeoutMs)) return;
    client.disconnect(); // and no reconnecting
    (client.stream as Socket | undefined)?.destroy();
  }

  /** The Redis clock (`TIME`), the one its scripts judge leases by. On a cluster, the node that answers. */
  async clock(): Promise<Date> {
    const [seconds, micros] = await (this.client as Redis).time();
    return new Date(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
  }

  /** Concurrent admits share one script call (`groupCommit`). */
  async admit(record: EntryRecord, admit: Admit): Promise<Admission> {
    const s = this.shardOf(record);
    const member = this.member(record);
    const tokenKey = this.tokenKey(record.provider, record.tokenRef);
    const tokenKeys = this.cluster ? [] : [tokenKey, this.timelineKey(record.provider, record.tokenRef), this.tokenCountsKey()];
    const call: AdmitCall = {
      shard: s,
      bytes: record.body.length,
      keys: [this.entryKey(s, member), this.k(s, 'due'), this.k(s, 'recv'), ...tokenKeys],
      args: [
        this.k(s, 'status:'), member, admit.as, admit.as === 'running' ? admit.owner : '', admit.as === 'running' ? admit.leaseMs : 0,
        admit.as === 'quarantined' ? admit.error : '', record.fingerprint, record.provider, record.id, record.type, record.tokenRef,
        record.state ?? '', record.occurredAt.getTime(), record.receivedAt.getTime(), record.body, `${s}|${member}`, tokenKey,
      ],
    };
    const reply = await (this.admits ? this.admits.call(call) : this.admitOne(call));
    if (reply instanceof Error) throw reply;
    const [admitted, conflict, fields, created] = reply;
    const hash = hashFromReply(fields);
    let entry = created === 1
      ? admittedEntry(record, { status: hash.status!, attempts: hash.attempts!, dueAt: hash.dueAt!, lastError: hash.lastError!, projection: hash.projection!, staleReason: hash.staleReason! })
      : entryFromHash(hash)!;
    if (admitted !== 1) return { admitted: false, entry, conflict: conflict === 1 };
    if (this.cluster) {
      await this.client.zadd(this.timelineKey(record.provider, record.tokenRef), record.receivedAt.getTime(), `${s}|${member}`);
      if (admit.as === 'running') entry = await this.projectOnCluster(entry);
    }
    return { admitted: true, entry };
  }

  private async admitOne(call: AdmitCall): Promise<AdmitReply> {
    return await runScript(this.client, ADMIT, call.keys, call.args) as AdmitReply;
  }

  /**
   * One ADMIT_MANY call on a single server; on a cluster, one per shard (at once), the keys of one call being
   * those of one shard. An entry whose admit failed in the script is answered its error alone; a call that failed
   * (a lost connection, a timeout) the error of every entry in it, those of the other shards' calls standing.
   */
  private async admitMany(calls: readonly AdmitCall[]): Promise<(AdmitReply | Error)[]> {
    const replies: (AdmitReply | Error)[] = new Array(calls.length);
    await Promise.all([...this.groups(calls, (call) => call.shard).values()].map(async (items) => {
      const keys: string[] = [];
      const args: (string | number)[] = [calls[items[0]!]!.keys.length];
      for (const i of items) {
        keys.push(...calls[i]!.keys);
        args.push(...calls[i]!.args);
      }
      try {
        const reply = await runScript(this.client, ADMIT_MANY, keys, args) as (AdmitReply | [-1, string])[];
        items.forEach((i, j) => {
          const r = reply[j];
          replies[i] = !r ? new Error('ADMIT_MANY answered fewer replies than admits') : r[0] === -1 ? new Error(String(r[1])) : r as AdmitReply;
        });
      } catch (error) {
        for (const i of items) replies[i] = error instanceof Error ? error : new Error(String(error));
      }
    }));
    return replies;
  }

  /** The positions of `items` by group: one group on a single server, one per shard on a cluster. */
  private groups<T>(items: readonly T[], shard: (item: T) => number): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    items.forEach((item, i) => {
      const group = this.cluster ? shard(item) : 0;
      const members = groups.get(group);
      if (members) members.push(i);
      else groups.set(group, [i]);
    });
    return groups;
  }

  async lease(owner: string, leaseMs: number, key?: EventKey): Promise<Entry | undefined> {
    const shards = key ? [this.shardOf(key)] : this.shardOrder();
    for (const s of shards) {
      for (let tries = 0; tries < 10; tries++) {
        const reply = await runScript(this.client, LEASE, [this.k(s, 'due')],
          [this.k(s, 'status:'), this.k(s, 'e:'), owner, leaseMs, this.cluster ? '0' : '1', this.tokenCountsKey(), ...(key ? [this.member(key)] : [])]);
        if (reply === 0) continue; // a stale index member was dropped: look again
        if (!reply) break;
        const entry = entryFromHash(hashFromReply(reply))!;
        return this.cluster ? this.projectOnCluster(entry) : entry;
      }
    }
    return undefined;
  }

  /**
   * One script call takes the batch on a single server, oldest due first across every shard, applying states as it
   * goes. On a cluster, see `leaseOnCluster`.
   */
  async leaseMany(owner: string, leaseMs: number, limit: number): Promise<Entry[]> {
    const wanted = Math.floor(limit);
    if (!(wanted > 0)) return [];
    if (this.cluster) return this.leaseOnCluster(owner, leaseMs, wanted);
    return (await this.leaseFromShards(Array.from({ length: this.shards }, (_, s) => s), owner, leaseMs, wanted)).map((e) => e.entry);
  }

  /**
   * Where one call reaches one shard: first the due times of every shard (one call each, at once), which say how many
   * of the oldest due the batch takes from each shard; then one call per shard that has some (at once), each taking its
   * shard's oldest due; then the taken entries' states, as `lease` applies them there, those of one token in due order.
   * The shards' calls are not one step: should some fail, the entries the others took are answered (those that failed
   * are due again when their leases run out, as after a failed `lease`); only when none is taken does the call fail.
   * An entry whose state could not be applied is left the same way, with its token's later entries of the batch.
   */
  private async leaseOnCluster(owner: string, leaseMs: number, wanted: number): Promise<Entry[]> {
    const perShard = new Map<number, number>();
    if (this.shards === 1) perShard.set(0, wanted);
    else {
      const times = await Promise.all(Array.from({ length: this.shards }, async (_, s) =>
        (await runScript(this.client, DUE_TIMES, [this.k(s, 'due')], [wanted]) as string[]).map((at) => ({ s, at: Number(at) }))));
      for (const { s } of times.flat().sort((a, b) => a.at - b.at).slice(0, wanted)) perShard.set(s, (perShard.get(s) ?? 0) + 1);
    }
    const errors: unknown[] = [];
    const batches = await Promise.allSettled([...perShard].map(([s, n]) => this.leaseFromShards([s], owner, leaseMs, n)));
    const taken: { entry: Entry; wasDue: number }[] = [];
    for (const batch of batches) {
      if (batch.status === 'fulfilled') taken.push(...batch.value);
      else errors.push(batch.reason);
    }
    taken.sort((a, b) => a.wasDue - b.wasDue);
    const byToken = new Map<string, { entry: Entry; wasDue: number }[]>();
    for (const e of taken) {
      if (!e.entry.state) continue;
      const token = this.tokenKey(e.entry.provider, e.entry.tokenRef);
      const ofToken = byToken.get(token);
      if (ofToken) ofToken.push(e);
      else byToken.set(token, [e]);
    }
    const unapplied = new Set<{ entry: Entry; wasDue: number }>();
    await Promise.all([...byToken.values()].map(async (ofToken) => {
      for (const [i, e] of ofToken.entries()) {
        try {
          e.entry = await this.projectOnCluster(e.entry);
        } catch (error) {
          errors.push(error);
          for (const left of ofToken.slice(i)) unapplied.add(left);
          return;
        }
      }
    }));
    const leased = taken.filter((e) => !unapplied.has(e)).map((e) => e.entry);
    if (errors.length > 0) {
      if (leased.length === 0) throw errors[0];
      log.warn({ error: String((errors[0] as Error).message ?? errors[0]), entries: taken.length - leased.length },
        'leaseMany: part of the batch failed; its entries are due again when their leases run out', loggerOf(this));
    }
    return leased;
  }

  /** LEASE_MANY over `shards` (one on a cluster): the entries taken, in the order taken, each with the due time it had. */
  private async leaseFromShards(shards: readonly number[], owner: string, leaseMs: number, limit: number): Promise<{ entry: Entry; wasDue: number }[]> {
    const reply = await runScript(this.client, LEASE_MANY, shards.map((s) => this.k(s, 'due')), [
      owner, leaseMs, this.cluster ? '0' : '1', this.tokenCountsKey(), limit, ...shards.flatMap((s) => [this.k(s, 'status:'), this.k(s, 'e:')]),
    ]) as [(string | number)[], string][];
    return reply.map(([fields, was]) => ({ entry: entryFromHash(hashFromReply(fields))!, wasDue: Number(was) }));
  }

  async extend(key: EventKey, owner: string, leaseMs: number): Promise<boolean> {
    const s = this.shardOf(key);
    const member = this.member(key);
    return (await runScript(this.client, EXTEND, [this.entryKey(s, member), this.k(s, 'due')], [member, owner, leaseMs])) === 1;
  }

  /** Concurrent `done` settles share one script call (`groupCommit`). */
  async settle(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    return settlement.status === 'done' && this.dones ? this.dones.call({ key, owner, settlement }) : this.settleOne(key, owner, settlement);
  }

  private async settleOne(key: EventKey, owner: string, settlement: Settlement): Promise<boolean> {
    const s = this.shardOf(key);
    const member = this.member(key);
    const settled = await runScript(this.client, SETTLE, [this.entryKey(s, member), this.k(s, 'due')], this.settleArgs(s, member, owner, settlement));
    return settled === 1;
  }

  /**
   * One script call on a single server; on a cluster, one per shard with entries in the batch (at once), the keys of
   * one call being those of one shard.
   */
  async settleMany(settlements: readonly OwnedSettlement[]): Promise<boolean[]> {
    if (settlements.length === 0) return [];
    const groups = this.groups(settlements, ({ key }) => this.shardOf(key));
    const settled: boolean[] = new Array<boolean>(settlements.length).fill(false);
    await Promise.all([...groups.values()].map(async (items) => {
      const keys: string[] = [];
      const args: (string | number)[] = [];
      for (const i of items) {
        const { key, owner, settlement } = settlements[i]!;
        const s = this.shardOf(key);
        const member = this.member(key);
        keys.push(this.entryKey(s, member), this.k(s, 'due'));
        args.push(...this.settleArgs(s, member, owner, settlement));
      }
      const reply = await runScript(this.client, SETTLE_MANY, keys, args) as number[];
      items.forEach((i, j) => { settled[i] = reply[j] === 1; });
    }));
    return settled;
  }

  /** SETTLE's arguments for one entry. */
  private settleArgs(shard: number, member: string, owner: string, settlement: Settlement): (string | number)[] {
    return [this.k(shard, 'status:'), member, owner, settlement.status, settlement.status === 'done' ? '' : settlement.error,
      settlement.status === 'failed' ? settlement.retryInMs : 0];
  }

  /**
   * On a cluster: apply a taken entry's state in the token's own slot, then record the outcome on the entry.
   * Should the process die in between, the entry's lease expires and the next run applies it again (the
   * same event re-applies).
   */
  private async projectOnCluster(entry: Entry): Promise<Entry> {
    if (!entry.state) return entry;
    const [outcome, reason, from, to] = await runScript(this.client, PROJECT, [this.tokenKey(entry.provider, entry.tokenRef)],
      [entry.state, entry.occurredAt.getTime(), entry.id]) as [ProjectionOutcome, string, string, string];
    if (to !== '' && from !== to) {
      const counts = this.client.multi();
      if (from !== '') counts.hincrby(this.tokenCountsKey(), `${enc(entry.provider)}|${from}`, -1);
      await counts.hincrby(this.tokenCountsKey(), `${enc(entry.provider)}|${to}`, 1).exec();
    }
    await this.client.hset(this.entryKey(this.shardOf(entry), this.member(entry)), 'projection', outcome, 'staleReason', reason);
    return { ...entry, projection: outcome, ...(reason ? { staleReason: reason as StaleReason } : {}) };
  }

  async requeue(id: string, provider?: string, from: readonly RequeueableStatus[] = REQUEUEABLE_STATUSES): Promise<EventKey[]> {
    const candidates: EventKey[] = (provider !== undefined ? [provider] : await this.providers()).map((p) => ({ provider: p, id }));
    const requeued: EventKey[] = [];
    for (const key of candidates) {
      const s = this.shardOf(key);
      const member = this.member(key);
      if ((await runScript(this.client, REQUEUE, [this.entryKey(s, member), this.k(s, 'due')], [this.k(s, 'status:'), member, from.join(',')])) === 1) {
        requeued.push(key);
      }
    }
    return requeued;
  }

  async getEntry(key: EventKey): Promise<Entry | undefined> {
    const s = this.shardOf(key);
    return entryFromHash(await this.client.hgetall(this.entryKey(s, this.member(key))));
  }

  /**
   * From the most selective index: an id's own keys (one per provider stored), the token's timeline (per provider),
   * the conflicted or a status index (`done` with a provider: the provider's), the provider's receipt index, or the
   * receipt index, of every shard; each read in its order from the cursor on, entries fetched only for the members
   * that may match. Providers stored are the fields of the shards' counts.
   */
  async listEntries(query: EntryQuery = {}): Promise<Entry[]> {
    const limit = query.limit ?? 100;
    if (limit <= 0) return [];
    const newest = query.order === 'newest';
    const sign = newest ? -1 : 1;
    const after = query.after;
    let min = query.since === undefined ? '-inf' : String(query.since.getTime());
    let max = query.until === undefined ? '+inf' : `(${query.until.getTime()}`;
    if (after && newest && (max === '+inf' || after.receivedAt.getTime() < Number(max.slice(1)))) max = String(after.receivedAt.getTime());
    if (after && !newest && (min === '-inf' || after.receivedAt.getTime() > Number(min))) min = String(after.receivedAt.getTime());
    const range = { min, max, newest };
    const matches = (e: Entry) => matchesQuery(e, query);
    const page = (found: Entry[]) => found.filter(matches).sort((a, b) => sign * compareEntries(a, b)).slice(0, limit);

    const providers = query.provider !== undefined ? [query.provider] : query.id !== undefined || query.tokenRef !== undefined ? await this.providers() : [];
    if (query.id !== undefined) {
      const found = await Promise.all(providers.map((provider) => this.getEntry({ provider, id: query.id! })));
      return page(found.filter((e): e is Entry => e !== undefined));
    }
    let sources: { index: string; entry: (member: string) => string; member?: (member: string) => boolean }[];
    if (query.tokenRef !== undefined) {
      sources = providers.map((provider) => ({ index: this.timelineKey(provider, query.tokenRef!), entry: (m: string) => this.timelineEntryKey(m) }));
    } else {
      const ofProvider = query.provider === undefined ? undefined : `${enc(query.provider)}:`;
      const byProvider = ofProvider !== undefined && (query.status === undefined || query.status === 'done') && query.conflicted !== true;
      const index = byProvider ? `byprovider:${enc(query.provider!)}`
        : query.conflicted === true ? 'conflicted' : query.status === undefined ? 'recv' : `status:${query.status}`;
      // a member starts with its encoded provider: one of another provider is passed over without reading its entry
      const member = ofProvider === undefined || byProvider ? undefined : (m: string) => m.startsWith(ofProvider);
      sources = Array.from({ length: this.shards }, (_, s) => ({ index: this.k(s, index), entry: (m: string) => this.entryKey(s, m), ...(member ? { member } : {}) }));
    }
    const perSource = await Promise.all(sources.map((source) => this.scanIndex(source, range, limit, matches)));
    return page(perSource.flat());
  }

  async getHistory(key: EventKey): Promise<EntryHistory> {
    const [attempts, copies] = await this.client.hmget(this.entryKey(this.shardOf(key), this.member(key)), 'attemptLog', 'copyLog');
    return attempts === null && copies === null ? NO_HISTORY : historyFromJson(attempts, copies);
  }

  /**
   * A hash per minute (`refusals:<minute ms>`, on no shard's hash tag), each kind's count and latest time as fields,
   * expiring `REFUSALS_KEPT_MS` after its minute: one script call per minute added.
   */
  async addRefusals(counts: readonly RefusalMinute[]): Promise<void> {
    const byMinute = new Map<number, RefusalMinute[]>();
    for (const c of mergeRefusals(counts.map((r) => ({ ...r, minute: new Date(minuteOf(r.minute)) })))) {
      const minute = c.minute.getTime();
      byMinute.set(minute, [...(byMinute.get(minute) ?? []), c]);
    }
    await Promise.all([...byMinute].map(([minute, rows]) => runScript(this.client, ADD_REFUSALS, [this.refusalKey(minute)], [
      minute + REFUSALS_KEPT_MS + STATS_BUCKET_MS, ...rows.flatMap((r) => [`${enc(r.provider)}|${r.status}|${enc(r.code)}`, r.count, r.last.getTime()]),
    ])));
  }

  /** The minutes from `since` to the Redis clock's, read together (at most `REFUSALS_KEPT_MS` of them). */
  async listRefusals(since: Date): Promise<RefusalMinute[]> {
    const now = (await this.clock()).getTime();
    const first = Math.max(minuteOf(since), minuteOf(new Date(now - REFUSALS_KEPT_MS)));
    const minutes: number[] = [];
    for (let m = first; m <= now; m += STATS_BUCKET_MS) minutes.push(m);
    const hashes = await this.hashes(minutes.map((m) => this.refusalKey(m)));
    const rows: RefusalMinute[] = [];
    minutes.forEach((minute, i) => {
      const hash = hashes[i]!;
      for (const [field, count] of Object.entries(hash)) {
        const parts = field.split('|');
        if (parts.length !== 3) continue;
        rows.push({
          minute: new Date(minute), provider: decodeURIComponent(parts[0]!), status: Number(parts[1]), code: decodeURIComponent(parts[2]!),
          count: Number(count), last: new Date(Number(hash[`${field}|last`] ?? minute)),
        });
      }
    });
    return rows;
  }

  /**
   * From the counts the scripts keep as they write: per shard, by provider and status (`counts`) and the same by
   * minute of receipt (`minute:<ms>`), and by provider and state for tokens: one round trip per shard and minute.
   */
  async stats(query: StatsQuery): Promise<LedgerStats> {
    const window = statsWindow(query);
    const minutes: number[] = [];
    for (let m = window.since; m < window.until; m += STATS_BUCKET_MS) minutes.push(m);
    const wanted = query.provider === undefined ? undefined : enc(query.provider);
    const split = (field: string) => {
      const bar = field.lastIndexOf('|');
      const provider = field.slice(0, bar);
      return wanted === undefined || provider === wanted ? { provider: decodeURIComponent(provider), name: field.slice(bar + 1) } : undefined;
    };
    const shards = Array.from({ length: this.shards }, (_, s) => s);
    const minuteKeys = shards.flatMap((s) => minutes.map((minute) => ({ minute, key: this.k(s, `minute:${minute}`) })));
    const all = await this.hashes([this.tokenCountsKey(), ...shards.map((s) => this.k(s, 'counts')), ...minuteKeys.map((m) => m.key)]);
    const tokenCounts = all[0]!;
    const counts = all.slice(1, 1 + this.shards);
    const perMinute = minuteKeys.map((m, i) => ({ minute: m.minute, counts: all[1 + this.shards + i]! }));
    const received: ReceivedCount[] = [];
    for (const { minute, counts: c } of perMinute) {
      for (const [field, n] of Object.entries(c)) {
        const f = split(field);
        if (f && Number(n) > 0) received.push({ minute: new Date(minute), provider: f.provider, status: f.name as EntryStatus, count: Number(n) });
      }
    }
    const open = new Map<string, StatusCount>();
    let conflicted = 0;
    for (const c of counts) {
      for (const [field, n] of Object.entries(c)) {
        const f = split(field);
        if (!f || Number(n) <= 0 || f.name === 'done') continue;
        if (f.name === 'conflicted') { conflicted += Number(n); continue; }
        const key = `${f.provider}\u0000${f.name}`;
        open.set(key, { provider: f.provider, status: f.name as EntryStatus, count: (open.get(key)?.count ?? 0) + Number(n) });
      }
    }
    const tokens: TokenStateCount[] = [];
    for (const [field, n] of Object.entries(tokenCounts)) {
      const f = split(field);
      if (f && Number(n) > 0) tokens.push({ provider: f.provider, state: f.name as TokenState, count: Number(n) });
    }
    return { received, open: [...open.values()], tokens, conflicted };
  }

  async getTokenState(provider: string, tokenRef: string): Promise<TokenStateRecord | undefined> {
    return tokenFromReply(provider, tokenRef, await this.client.hmget(this.tokenKey(provider, tokenRef), 'state', 'occurredAt', 'eventId', 'updatedAt'));
  }

  /** Prunes in batches of 500 per script call, so Redis is never blocked for long. */
  async prune(olderThan: Date): Promise<PruneResult> {
    let entries = 0;
    for (let s = 0; s < this.shards; s++) {
      for (;;) {
        const seen = Number(await runScript(this.client, PRUNE, [this.k(s, 'status:done'), this.k(s, 'due'), this.k(s, 'recv')],
          [olderThan.getTime(), PRUNE_BATCH, this.k(s, 'e:'), this.k(s, 'status:')]));
        entries += seen;
        if (seen < PRUNE_BATCH) break;
      }
    }
    return { entries };
  }

  /** HGETALL of each key: pipelined on a single server, one by one (in parallel) on a cluster, whose keys live on several nodes. */
  private async hashes(keys: readonly string[]): Promise<Record<string, string>[]> {
    if (this.cluster) return Promise.all(keys.map((key) => this.client.hgetall(key)));
    const pipeline = this.client.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, reply]) => {
      if (error) throw error;
      return Array.isArray(reply) ? hashFromReply(reply) : reply as Record<string, string>;
    });
  }

  /**
   * Entries of an index (scored by receipt) in `range`, in its order, that `matches` (and whose member passes `member`,
   * before its entry is read), at least `limit` of them when there are: with every entry of the last receipt time
   * reached, so that the caller's order (by receipt, then provider and id) cuts the page right.
   */
  private async scanIndex(source: { index: string; entry: (member: string) => string; member?: (member: string) => boolean },
    range: { min: string; max: string; newest: boolean }, limit: number, matches: (entry: Entry) => boolean): Promise<Entry[]> {
    const found: Entry[] = [];
    let lastAt: number | undefined;
    for (let offset = 0; ; offset += SCAN_BATCH) {
      const reply = range.newest
        ? await this.client.zrevrangebyscore(source.index, range.max, range.min, 'WITHSCORES', 'LIMIT', offset, SCAN_BATCH)
        : await this.client.zrangebyscore(source.index, range.min, range.max, 'WITHSCORES', 'LIMIT', offset, SCAN_BATCH);
      const members: { member: string; at: number }[] = [];
      for (let i = 0; i < reply.length; i += 2) {
        if (!source.member || source.member(reply[i]!)) members.push({ member: reply[i]!, at: Number(reply[i + 1]) });
      }
      // In chunks of about what the page still lacks: no more entries read than it takes.
      for (let i = 0; i < members.length;) {
        const chunk = members.slice(i, i + Math.min(SCAN_BATCH, Math.max(limit - found.length, 10)));
        i += chunk.length;
        const hashes = await Promise.all(chunk.map((m) => this.client.hgetall(source.entry(m.member))));
        for (const [j, hash] of hashes.entries()) {
          if (lastAt !== undefined && chunk[j]!.at !== lastAt) return found; // past the last receipt time of a full page
          const entry = entryFromHash(hash); // undefined: pruned meanwhile
          if (!entry || !matches(entry)) continue;
          found.push(entry);
          if (found.length >= limit) lastAt ??= chunk[j]!.at;
        }
      }
      if (reply.length < SCAN_BATCH * 2) return found;
    }
  }

  /** The providers with entries stored: the fields of every shard's counts (`<provider>|<status>`). */
  private async providers(): Promise<string[]> {
    const fields = await Promise.all(Array.from({ length: this.shards }, (_, s) => this.client.hkeys(this.k(s, 'counts'))));
    return [...new Set(fields.flat().map((field) => decodeURIComponent(field.slice(0, field.lastIndexOf('|')))))];
  }

  private refusalKey(minute: number): string {
    return `${this.keyPrefix}refusals:${minute}`;
  }

  /** Shards in turn, starting after the one the last lease began with, so no shard waits behind another. */
  private shardOrder(): number[] {
    const start = this.leaseCursor++ % this.shards;
    return Array.from({ length: this.shards }, (_, i) => (start + i) % this.shards);
  }

  private shardOf(key: EventKey): number {
    return this.shards === 1 ? 0 : crc32(`${key.provider}\u0000${key.id}`) % this.shards;
  }

  private member(key: EventKey): string {
    return `${enc(key.provider)}:${enc(key.id)}`;
  }

  private k(shard: number, suffix: string): string {
    return `${this.keyPrefix}{s${shard}}:${suffix}`;
  }

  private entryKey(shard: number, member: string): string {
    return this.k(shard, `e:${member}`);
  }

  private tokenKey(provider: string, tokenRef: string): string {
    return `${this.keyPrefix}{t:${enc(provider)}:${enc(tokenRef)}}`;
  }

  /** Token states by provider and state (`<provider>|<state>`), on no shard's hash tag. */
  private tokenCountsKey(): string {
    return `${this.keyPrefix}token-counts`;
  }

  private timelineKey(provider: string, tokenRef: string): string {
    return `${this.tokenKey(provider, tokenRef)}:events`;
  }

  /** A timeline member is `<shard>|<member>`. */
  private timelineEntryKey(timelineMember: string): string {
    const bar = timelineMember.indexOf('|');
    return this.entryKey(Number(timelineMember.slice(0, bar)), timelineMember.slice(bar + 1));
  }

  private waitReady(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { cleanup(); reject(new Error(`Redis not ready within ${this.connectTimeoutMs} ms`)); }, this.connectTimeoutMs);
      const onReady = () => { cleanup(); resolve(); };
      const onEnd = () => { cleanup(); reject(new Error('Redis connection ended')); };
      const cleanup = () => { clearTimeout(timer); this.client.off('ready', onReady); this.client.off('end', onEnd); };
      this.client.once('ready', onReady);
      this.client.once('end', onEnd);
    });
  }
}

/**
 * Destroy `client`'s connection once it was sent something and has answered nothing for `timeoutMs`: ioredis
 * replaces it (`retryStrategy`). A half-open connection (the peer vanished without a reset) would otherwise be
 * written to forever, every command timing out. Judged every quarter of `timeoutMs` from the socket's bytes written
 * since its last answer, so it covers the connection's handshake too, on every ioredis 5.x. Returns `stop`.
 */
function replaceSilentConnections(client: Redis, timeoutMs: number, owner: object): () => void {
  let watched: Socket | undefined;
  let answered = 0; // bytes written when the last answer arrived
  let waitingSince: number | undefined;
  const watch = (socket: Socket) => {
    watched = socket;
    answered = socket.bytesRead > 0 ? socket.bytesWritten : 0;
    waitingSince = undefined;
    socket.on('data', () => {
      if (socket !== watched) return;
      answered = socket.bytesWritten;
      waitingSince = undefined;
    });
  };
  // Each new connection is watched from its start (its handshake is written before anything can answer it).
  client.on('connect', () => { if (client.stream && client.stream !== watched) watch(client.stream as Socket); });
  const check = () => {
    const socket = client.stream as Socket | undefined;
    if (!socket || socket.destroyed) return;
    if (socket !== watched) watch(socket);
    if (socket.bytesWritten <= answered) return; // idle: nothing asked since the last answer
    waitingSince ??= Date.now();
    if (Date.now() - waitingSince < timeoutMs) return;
    log.warn({ durationMs: timeoutMs }, 'no answer on the connection: replacing it', loggerOf(owner));
    socket.destroy();
  };
  const timer = setInterval(check, Math.max(10, Math.floor(timeoutMs / 4)));
  timer.unref();
  return () => clearInterval(timer);
}
