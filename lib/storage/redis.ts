import type { Redis, RedisOptions } from 'ioredis';
import type {
  ClaimResult, EventKey, EventQuery, ProjectionResult, PruneResult, StateChange, Storage, StoredEvent, TokenStateRecord,
} from './storage';
import type { StaleReason, TokenEventType, TokenState } from '../events';
import { ConfigurationError } from '../errors';
import { loadDriver } from './driver';
import { APPLY_STATE, CLAIM, COMPLETE, EXTEND, PRUNE, RELEASE, SAVE_EVENT, runScript } from './redis-scripts';
import { logger } from '../log';
import { InboxDelegate } from './inbox-delegate';
import { RedisInbox } from './redis-inbox';

const log = logger('storage:redis');

export interface RedisStorageOptions {
  /** e.g. `redis://127.0.0.1:6379` (`REDIS_URL`). Ignored when `client` is given. */
  readonly url?: string;
  /** An existing ioredis client: the storage uses it and never closes it. Must not have its own `keyPrefix`. */
  readonly client?: Redis;
  /** Further options for the client the storage creates. */
  readonly redisOptions?: RedisOptions;
  /** Prefix of every key. Default `ntw:`. */
  readonly keyPrefix?: string;
  /** How long `init()` waits for the connection, in ms. Default 10000. */
  readonly connectTimeoutMs?: number;
}

/** One event-log entry as JSON in Redis: dates as epoch ms. */
interface EventJson {
  readonly provider: string;
  readonly id: string;
  readonly type: TokenEventType;
  readonly tokenRef: string;
  readonly state?: TokenState;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly stale: boolean;
  readonly staleReason?: StaleReason;
  readonly payload?: unknown;
}

const enc = encodeURIComponent;
const PRUNE_BATCH = 500;

const isClient = (value: unknown): value is Redis =>
  typeof value === 'object' && value !== null && typeof (value as Redis).evalsha === 'function';

function decodeEvent(json: string): StoredEvent {
  const e = JSON.parse(json) as EventJson;
  return {
    provider: e.provider, id: e.id, type: e.type, tokenRef: e.tokenRef,
    ...(e.state === undefined ? {} : { state: e.state }),
    occurredAt: new Date(e.occurredAt), receivedAt: new Date(e.receivedAt), stale: e.stale,
    ...(e.staleReason === undefined ? {} : { staleReason: e.staleReason }),
    payload: e.payload,
  };
}

/**
 * Storage in Redis (`ioredis`), for several app instances sharing one server. A claim is
 * `SET NX PX` (the lease runs on the Redis clock); every multi-key update is one Lua script.
 * Keys (all under `keyPrefix`): `claim:<provider>:<id>`, `claims:done`, `event:<provider>:<id>`,
 * `idx:all`, `idx:p:<provider>`, `idx:t:<provider>:<tokenRef>`, `state:<provider>:<tokenRef>`.
 */
/** Its inbox queue (`mode: 'inbox'`) lives in lib/storage/redis-inbox.ts. */
export class RedisStorage extends InboxDelegate implements Storage {
  readonly keyPrefix: string;
  protected readonly inbox: RedisInbox;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly connectTimeoutMs: number;

  constructor(options: string | Redis | RedisStorageOptions = {}) {
    super();
    const opts: RedisStorageOptions = typeof options === 'string' ? { url: options } : isClient(options) ? { client: options } : options;
    this.keyPrefix = opts.keyPrefix ?? 'ntw:';
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    if (opts.client) {
      if (opts.client.options.keyPrefix) {
        throw new ConfigurationError('ERR_NTW_OPTION', 'RedisStorage needs a client without keyPrefix: pass keyPrefix to RedisStorage instead');
      }
      this.client = opts.client;
      this.ownsClient = false;
    } else {
      const IORedis = loadDriver<typeof import('ioredis')>('ioredis', 'RedisStorage').default;
      // Fail fast while disconnected (the pipeline answers retry-later) and reconnect in the background.
      const settings: RedisOptions = { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, ...opts.redisOptions, keyPrefix: '' };
      this.client = opts.url ? new IORedis(opts.url, settings) : new IORedis(settings);
      this.client.on('error', (error: Error) => log('connection error: %s', error.message));
      this.ownsClient = true;
    }
    this.inbox = new RedisInbox(this.client, this.keyPrefix);
  }

  /** Connect (when the storage made the client) and wait until the server answers. */
  async init(): Promise<void> {
    const client = this.client;
    if (client.status === 'wait') await client.connect();
    else if (client.status !== 'ready' && client.options.enableOfflineQueue === false) await this.waitReady();
    await client.ping();
  }

  async close(): Promise<void> {
    if (!this.ownsClient || this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  async claim(key: EventKey, owner: string, leaseMs: number): Promise<ClaimResult> {
    return await runScript(this.client, CLAIM, [this.claimKey(key)], [owner, Math.max(1, Math.ceil(leaseMs))]) as ClaimResult;
  }

  async complete(key: EventKey, owner: string): Promise<void> {
    void owner;
    await runScript(this.client, COMPLETE, [this.claimKey(key), this.k('claims:done')], [Date.now()]);
  }

  async release(key: EventKey, owner: string): Promise<void> {
    await runScript(this.client, RELEASE, [this.claimKey(key)], [owner]);
  }

  async extend(key: EventKey, owner: string, leaseMs: number): Promise<boolean> {
    return await runScript(this.client, EXTEND, [this.claimKey(key)], [owner, Math.max(1, Math.ceil(leaseMs))]) === 1;
  }

  async saveEvent(event: StoredEvent): Promise<void> {
    const json: EventJson = {
      provider: event.provider, id: event.id, type: event.type, tokenRef: event.tokenRef,
      ...(event.state === undefined ? {} : { state: event.state }),
      occurredAt: event.occurredAt.getTime(), receivedAt: event.receivedAt.getTime(), stale: event.stale,
      ...(event.staleReason === undefined ? {} : { staleReason: event.staleReason }),
      payload: event.payload,
    };
    const member = `${enc(event.provider)}:${enc(event.id)}`;
    await runScript(this.client, SAVE_EVENT,
      [this.k(`event:${member}`), this.k('idx:all'), this.providerIndex(event.provider), this.tokenIndex(event.provider, event.tokenRef)],
      [JSON.stringify(json), event.receivedAt.getTime(), member]);
  }

  async listEvents(query: EventQuery = {}): Promise<StoredEvent[]> {
    const limit = query.limit ?? 100;
    if (limit <= 0) return [];
    const index = query.provider === undefined ? this.k('idx:all')
      : query.tokenRef === undefined ? this.providerIndex(query.provider) : this.tokenIndex(query.provider, query.tokenRef);
    const exact = query.provider !== undefined || query.tokenRef === undefined;
    const min = query.since === undefined ? '-inf' : String(query.since.getTime());
    const max = query.until === undefined ? '+inf' : `(${query.until.getTime()}`;
    const found: StoredEvent[] = [];
    const batch = exact ? limit : Math.max(limit, 500);
    for (let offset = 0; found.length < limit; offset += batch) {
      const members = await this.client.zrangebyscore(index, min, max, 'LIMIT', offset, batch);
      if (members.length === 0) break;
      const pipeline = this.client.pipeline();
      for (const m of members) pipeline.hget(this.k(`event:${m}`), 'json');
      for (const [error, json] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        if (typeof json !== 'string') continue; // pruned meanwhile
        const event = decodeEvent(json);
        if (query.tokenRef === undefined || event.tokenRef === query.tokenRef) found.push(event);
        if (found.length === limit) break;
      }
      if (members.length < batch) break;
    }
    return found;
  }

  async applyTokenState(change: StateChange): Promise<ProjectionResult> {
    const reply = await runScript(this.client, APPLY_STATE, [this.stateKey(change.provider, change.tokenRef)],
      [change.state, change.occurredAt.getTime(), change.eventId, Date.now()]) as [number, string, string, string, string, string];
    const [applied, reason, state, occurredAt, eventId, updatedAt] = reply;
    const current: TokenStateRecord = {
      provider: change.provider, tokenRef: change.tokenRef, state: state as TokenState,
      occurredAt: new Date(Number(occurredAt)), eventId, updatedAt: new Date(Number(updatedAt)),
    };
    return applied === 1 ? { applied: true, current } : { applied: false, staleReason: reason as StaleReason, current };
  }

  async getTokenState(provider: string, tokenRef: string): Promise<TokenStateRecord | undefined> {
    const [state, occurredAt, eventId, updatedAt] = await this.client.hmget(this.stateKey(provider, tokenRef), 'state', 'occurredAt', 'eventId', 'updatedAt');
    if (!state || !occurredAt || eventId === null || eventId === undefined || !updatedAt) return undefined;
    return {
      provider, tokenRef, state: state as TokenState, occurredAt: new Date(Number(occurredAt)), eventId, updatedAt: new Date(Number(updatedAt)),
    };
  }

  /** Prunes in batches of 500 per script call, so Redis is never blocked for long. */
  async prune(olderThan: Date): Promise<PruneResult> {
    let claims = 0;
    let events = 0;
    for (;;) {
      const [c, e, seen] = await runScript(this.client, PRUNE, [this.k('idx:all'), this.k('claims:done')],
        [olderThan.getTime(), PRUNE_BATCH, this.keyPrefix]) as [number, number, number];
      claims += c;
      events += e;
      if (seen < PRUNE_BATCH) return { claims, events };
    }
  }

  private k(suffix: string): string {
    return `${this.keyPrefix}${suffix}`;
  }

  private claimKey(key: EventKey): string {
    return this.k(`claim:${enc(key.provider)}:${enc(key.id)}`);
  }

  private providerIndex(provider: string): string {
    return this.k(`idx:p:${enc(provider)}`);
  }

  private tokenIndex(provider: string, tokenRef: string): string {
    return this.k(`idx:t:${enc(provider)}:${enc(tokenRef)}`);
  }

  private stateKey(provider: string, tokenRef: string): string {
    return this.k(`state:${enc(provider)}:${enc(tokenRef)}`);
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
