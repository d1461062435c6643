import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script, run by EVALSHA and loaded by EVAL when the server does not know it yet. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

export async function runScript(client: Redis, s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/** KEYS: claim. ARGV: owner, leaseMs. A lease is `L:<owner>` with a PX expiry; a processed id is `D:<completedAt>`. */
export const CLAIM = script(`
if redis.call('SET', KEYS[1], 'L:' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return 'claimed' end
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, 2) == 'D:' then return 'processed' end
return 'in_progress'`);

/** KEYS: claim, done index. ARGV: completedAt ms. */
export const COMPLETE = script(`
redis.call('SET', KEYS[1], 'D:' .. ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1])
return 1`);

/** KEYS: claim. ARGV: owner. */
export const RELEASE = script(`
if redis.call('GET', KEYS[1]) == 'L:' .. ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/** KEYS: claim. ARGV: owner, leaseMs. Renews `owner`'s lease on the Redis clock; 0 when it holds none (expired, released, completed). */
export const EXTEND = script(`
if redis.call('GET', KEYS[1]) == 'L:' .. ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`);

/** KEYS: event hash, all index, provider index, token index. ARGV: json, receivedAt ms, member. */
export const SAVE_EVENT = script(`
local old = redis.call('HGET', KEYS[1], 'tok')
if old and old ~= KEYS[4] then redis.call('ZREM', old, ARGV[3]) end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'tok', KEYS[4], 'prov', KEYS[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[3])
return 1`);

/**
 * KEYS: state hash. ARGV: state, occurredAt ms, eventId, now ms. The rule of decideProjection:
 * the same event re-applies; nothing leaves DELETED; strictly older is out_of_order; equal applies.
 * Returns { applied 0|1, staleReason, state, occurredAt, eventId, updatedAt }.
 */
export const APPLY_STATE = script(`
local cur = redis.call('HMGET', KEYS[1], 'state', 'occurredAt', 'eventId', 'updatedAt')
local reason = false
if cur[1] and cur[3] ~= ARGV[3] then
  if cur[1] == 'DELETED' and ARGV[1] ~= 'DELETED' then reason = 'after_deleted'
  elseif tonumber(ARGV[2]) < tonumber(cur[2]) then reason = 'out_of_order' end
end
if reason then return {0, reason, cur[1], cur[2], cur[3], cur[4]} end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'occurredAt', ARGV[2], 'eventId', ARGV[3], 'updatedAt', ARGV[4])
return {1, '', ARGV[1], ARGV[2], ARGV[3], ARGV[4]}`);

/**
 * KEYS: all-events index, done-claims index. ARGV: cutoff ms (exclusive), batch size, key prefix.
 * Removes up to one batch of each; returns { claims, events, entries looked at }.
 */
export const PRUNE = script(`
local events = 0
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(members) do
  local ek = ARGV[3] .. 'event:' .. m
  local idx = redis.call('HMGET', ek, 'tok', 'prov')
  if idx[1] then redis.call('ZREM', idx[1], m) end
  if idx[2] then redis.call('ZREM', idx[2], m) end
  events = events + redis.call('DEL', ek)
  redis.call('ZREM', KEYS[1], m)
end
local claims = 0
local keys = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, k in ipairs(keys) do
  local v = redis.call('GET', k)
  if v and string.sub(v, 1, 2) == 'D:' then claims = claims + redis.call('DEL', k) end
  redis.call('ZREM', KEYS[2], k)
end
return {claims, events, #members + #keys}`);
