import type { Redis } from 'ioredis';
import type { EventKey } from './storage';
import type { InboxEntry, InboxItem, InboxListQuery, InboxStatus, InboxStorage } from './inbox';
import type { LuaScript } from './redis-scripts';
import { runScript } from './redis-scripts';
import { createHash } from 'node:crypto';

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

/** KEYS: entry, due. ARGV: provider, id, body, enqueuedAt, member. */
const ENQUEUE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'provider', ARGV[1], 'id', ARGV[2], 'body', ARGV[3], 'status', 'pending', 'attempts', 0,
  'nextAttemptAt', ARGV[4], 'enqueuedAt', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return 1`);

/**
 * KEYS: due. ARGV: now, leaseUntil, owner, entry key prefix. The due set is scored by next attempt
 * (or lease end): leasing moves the member to the lease end, a visibility timeout.
 */
const LEASE = script(`
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
local member = found[1]
if not member then return false end
local entry = ARGV[4] .. member
if redis.call('HGET', entry, 'status') ~= 'pending' then
  redis.call('ZREM', KEYS[1], member)
  return false
end
redis.call('HINCRBY', entry, 'attempts', 1)
redis.call('HSET', entry, 'owner', ARGV[3], 'nextAttemptAt', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[2], member)
return redis.call('HGETALL', entry)`);

/** KEYS: entry, due, target set (done or dead), ARGV: member, status, at, owner ('' = anyone), error ('' = keep). */
const SETTLE = script(`
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' then return 0 end
if ARGV[4] ~= '' and redis.call('HGET', KEYS[1], 'owner') ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'owner', '', 'nextAttemptAt', ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[5]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], redis.call('HGET', KEYS[1], 'enqueuedAt'), ARGV[1])
return 1`);

/** KEYS: entry, due. ARGV: member, owner, nextAttemptAt, error. */
const FAIL = script(`
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'owner', '', 'nextAttemptAt', ARGV[3], 'lastError', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`);

/** KEYS: entry, due. ARGV: member, owner, leaseUntil. Renews the lease only while `owner` holds the pending entry. */
const EXTEND_LEASE = script(`
if redis.call('HGET', KEYS[1], 'status') ~= 'pending' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`);

/** KEYS: entry, due, dead, done. ARGV: member, now. */
const REQUEUE = script(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'owner', '', 'nextAttemptAt', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1`);

const enc = encodeURIComponent;
const BATCH = 500;

function entryFromHash(hash: Record<string, string>): InboxEntry | undefined {
  if (!hash.provider || hash.id === undefined) return undefined;
  return {
    provider: hash.provider, id: hash.id, body: hash.body ?? '', status: hash.status as InboxStatus,
    attempts: Number(hash.attempts ?? 0), nextAttemptAt: new Date(Number(hash.nextAttemptAt)), enqueuedAt: new Date(Number(hash.enqueuedAt)),
    ...(hash.lastError ? { lastError: hash.lastError } : {}),
  };
}

function hashFromReply(reply: unknown): Record<string, string> {
  const list = reply as string[];
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) hash[list[i]!] = list[i + 1]!;
  return hash;
}

/**
 * The inbox queue in Redis. Keys under the storage's prefix: `inbox:e:<provider>:<id>` (hash),
 * `inbox:due` (pending members by next attempt or lease end), `inbox:dead`, `inbox:done` (by enqueue time).
 * Every transition is one Lua script, so one worker at a time leases an entry across instances.
 * The lease script names entry keys it computes, so this needs one Redis node (not Cluster).
 */
export class RedisInbox implements InboxStorage {
  constructor(private readonly client: Redis, private readonly prefix: string) {}

  private member(key: EventKey): string {
    return `${enc(key.provider)}:${enc(key.id)}`;
  }

  private entryKey(key: EventKey): string {
    return `${this.prefix}inbox:e:${this.member(key)}`;
  }

  private k(name: 'due' | 'dead' | 'done'): string {
    return `${this.prefix}inbox:${name}`;
  }

  async enqueue(item: InboxItem): Promise<boolean> {
    const t = item.enqueuedAt.getTime();
    return (await runScript(this.client, ENQUEUE, [this.entryKey(item), this.k('due')],
      [item.provider, item.id, item.body, t, this.member(item)])) === 1;
  }

  async leaseNext(owner: string, leaseMs: number, now: Date): Promise<InboxEntry | undefined> {
    for (let tries = 0; tries < 10; tries++) {
      const reply = await runScript(this.client, LEASE, [this.k('due')],
        [now.getTime(), now.getTime() + leaseMs, owner, `${this.prefix}inbox:e:`]);
      if (reply) return entryFromHash(hashFromReply(reply));
      // `false` after dropping a stale member: look again; `null` when nothing is due.
      const due = await this.client.zcount(this.k('due'), '-inf', now.getTime());
      if (due === 0) return undefined;
    }
    return undefined;
  }

  async markDone(key: EventKey, _owner: string, now: Date): Promise<void> {
    await runScript(this.client, SETTLE, [this.entryKey(key), this.k('due'), this.k('done')], [this.member(key), 'done', now.getTime(), '', '']);
  }

  async markFailed(key: EventKey, owner: string, nextAttemptAt: Date, error: string): Promise<void> {
    await runScript(this.client, FAIL, [this.entryKey(key), this.k('due')], [this.member(key), owner, nextAttemptAt.getTime(), error]);
  }

  async markDead(key: EventKey, owner: string, error: string, now: Date): Promise<void> {
    await runScript(this.client, SETTLE, [this.entryKey(key), this.k('due'), this.k('dead')], [this.member(key), 'dead', now.getTime(), owner, error]);
  }

  async extendLease(key: EventKey, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    if (owner === '') return false;
    return (await runScript(this.client, EXTEND_LEASE, [this.entryKey(key), this.k('due')],
      [this.member(key), owner, now.getTime() + leaseMs])) === 1;
  }

  async getInboxEntry(key: EventKey): Promise<InboxEntry | undefined> {
    return entryFromHash(await this.client.hgetall(this.entryKey(key)));
  }

  async listDeadLetters(query: InboxListQuery = {}): Promise<InboxEntry[]> {
    const limit = query.limit ?? 100;
    if (limit <= 0) return [];
    const members = await this.client.zrange(this.k('dead'), 0, limit - 1);
    const entries = await Promise.all(members.map((m) => this.client.hgetall(`${this.prefix}inbox:e:${m}`)));
    return entries.flatMap((hash) => entryFromHash(hash) ?? []);
  }

  async requeue(id: string, provider: string | undefined, now: Date): Promise<number> {
    const members = new Set<string>();
    if (provider !== undefined) members.add(this.member({ provider, id }));
    else {
      for (const set of [this.k('dead'), this.k('done')]) {
        let cursor = '0';
        do {
          const [next, found] = await this.client.zscan(set, cursor, 'MATCH', `*:${enc(id).replace(/[*?[\]\\]/g, '\\$&')}`, 'COUNT', BATCH);
          cursor = next;
          for (let i = 0; i < found.length; i += 2) if (found[i]!.endsWith(`:${enc(id)}`)) members.add(found[i]!);
        } while (cursor !== '0');
      }
    }
    let count = 0;
    for (const member of members) {
      count += Number(await runScript(this.client, REQUEUE,
        [`${this.prefix}inbox:e:${member}`, this.k('due'), this.k('dead'), this.k('done')], [member, now.getTime()]));
    }
    return count;
  }

  async pruneInbox(olderThan: Date): Promise<number> {
    let count = 0;
    for (;;) {
      const members = await this.client.zrangebyscore(this.k('done'), '-inf', `(${olderThan.getTime()}`, 'LIMIT', 0, BATCH);
      if (members.length === 0) return count;
      await this.client.multi().del(...members.map((m) => `${this.prefix}inbox:e:${m}`)).zrem(this.k('done'), ...members).exec();
      count += members.length;
    }
  }
}
