import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { HISTORY_MAX } from './storage';

/** A Lua script, run by EVALSHA and loaded by EVAL when the server does not know it yet. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

const script = (lua: string): LuaScript => ({ lua, sha: createHash('sha1').update(lua).digest('hex') });

export async function runScript(client: Redis | Cluster, s: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/**
 * Shared Lua: the ledger rules of `ledger-rules.ts` and the projection rule of `projection.ts`, step by step.
 * Entry hashes keep empty strings for absent fields; times are epoch milliseconds. Every index of an entry
 * (`due`, `recv`, `status:<s>`) shares the entry's hash tag (its shard); a token's keys have their own tag.
 */
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function count(key, field, by)
  if redis.call('HINCRBY', key, field, by) <= 0 then redis.call('HDEL', key, field) end
end
-- The shard's key prefix ('ntw:{s0}:') from its status prefix ('ntw:{s0}:status:').
local function shard_of(status_prefix) return string.sub(status_prefix, 1, -8) end
local function minute_of(received_at) local t = tonumber(received_at) return string.format('%d', t - t % 60000) end
-- Moves an entry between status indexes, and its counts: by provider and status ('counts'), and the same
-- by minute of receipt ('minute:<ms>'). A member starts with its encoded provider.
local function move_status(prefix, member, from, to, score)
  local shard = shard_of(prefix)
  local provider = string.match(member, '^[^:]*')
  local minute = shard .. 'minute:' .. minute_of(score)
  if from then
    redis.call('ZREM', prefix .. from, member)
    count(shard .. 'counts', provider .. '|' .. from, -1)
    count(minute, provider .. '|' .. from, -1)
  end
  redis.call('ZADD', prefix .. to, score, member)
  count(shard .. 'counts', provider .. '|' .. to, 1)
  count(minute, provider .. '|' .. to, 1)
end
-- Token counts by provider and state, on a single server (on a cluster the client keeps them).
local function recount_token(counts, key, from, to)
  if not counts or from == to then return end
  local provider = string.match(key, '{t:([^:]*):')
  if from then count(counts, provider .. '|' .. from, -1) end
  count(counts, provider .. '|' .. to, 1)
end
-- The token-state rule: returns the outcome, the stale reason ('' when none), and the state before and after
-- (false when none / unchanged), keeping the token counts when a counts key is given.
local function project(key, state, occurred_at, event_id, now, counts)
  if state == '' then return '', '', false, false end
  local cur = redis.call('HMGET', key, 'state', 'occurredAt', 'eventId')
  if not cur[1] then
    redis.call('HSET', key, 'state', state, 'occurredAt', occurred_at, 'eventId', event_id, 'updatedAt', now)
    recount_token(counts, key, false, state)
    return 'changed', '', false, state
  end
  if cur[3] == event_id then
    local at = occurred_at
    if tonumber(cur[2]) > tonumber(occurred_at) then at = cur[2] end
    redis.call('HSET', key, 'state', state, 'occurredAt', at, 'updatedAt', now)
    recount_token(counts, key, cur[1], state)
    return 'changed', '', cur[1], state
  end
  if cur[1] == 'DELETED' and state ~= 'DELETED' then return 'stale', 'after_deleted', false, false end
  if tonumber(occurred_at) < tonumber(cur[2]) then return 'stale', 'out_of_order', false, false end
  if state == cur[1] then
    redis.call('HSET', key, 'occurredAt', occurred_at, 'updatedAt', now)
    return 'repeated', '', false, false
  end
  redis.call('HSET', key, 'state', state, 'occurredAt', occurred_at, 'eventId', event_id, 'updatedAt', now)
  recount_token(counts, key, cur[1], state)
  return 'changed', '', cur[1], state
end
-- An entry's history field (a JSON array of the newest ${HISTORY_MAX}) with item (a table) appended. Times are text
-- (cjson writes numbers with 14 digits).
local function append_history(entry, field, item)
  local text = redis.call('HGET', entry, field)
  local list = {}
  if text and text ~= '' then list = cjson.decode(text) end
  table.insert(list, item)
  while #list > ${HISTORY_MAX} do table.remove(list, 1) end
  redis.call('HSET', entry, field, cjson.encode(list))
end
local function ms_text(ms) return string.format('%d', ms) end
-- Take an entry for owner until now + lease_ms; on a single server (token_key given) apply its state too.
local function take(entry, due, prefix, member, status, owner, lease_ms, token_key, now, counts)
  local at = now + tonumber(lease_ms)
  redis.call('HSET', entry, 'status', 'running', 'owner', owner, 'dueAt', at, 'projection', '', 'staleReason', '')
  redis.call('HINCRBY', entry, 'attempts', 1)
  redis.call('ZADD', due, at, member)
  move_status(prefix, member, status, 'running', redis.call('HGET', entry, 'receivedAt'))
  if token_key then
    local e = redis.call('HMGET', entry, 'state', 'occurredAt', 'id')
    local outcome, reason = project(token_key, e[1], e[2], e[3], now, counts)
    redis.call('HSET', entry, 'projection', outcome, 'staleReason', reason)
  end
end
`;

/** Lua of LEASE and LEASE_MANY, after PRELUDE. */
const LEASING = `
-- Take member of a shard's due index for owner if it is due, as lease does: true when taken. Otherwise false, and
-- its index member dropped (it is not waiting to run) or moved to its due time. Applies its state when apply is true.
local function lease_member(due, entry_prefix, status_prefix, member, owner, lease_ms, apply, counts, now)
  local entry = entry_prefix .. member
  local e = redis.call('HMGET', entry, 'status', 'dueAt', 'tokenKey')
  local status = e[1]
  if status ~= 'pending' and status ~= 'failed' and status ~= 'running' then
    redis.call('ZREM', due, member)
    return false
  end
  if tonumber(e[2]) > now then
    redis.call('ZADD', due, e[2], member)
    return false
  end
  local token_key = false
  if apply then token_key = e[3] end
  take(entry, due, status_prefix, member, status, owner, lease_ms, token_key, now, apply and counts)
  return true
end
`;

/** Lua of the scripts that answer an entry, after PRELUDE. */
const ENTRY_FIELDS = `
-- The entry's fields without its history, which only getHistory reads.
local function entry_fields(entry)
  local fields = redis.call('HGETALL', entry)
  local kept = {}
  for i = 1, #fields, 2 do
    if fields[i] ~= 'attemptLog' and fields[i] ~= 'copyLog' then
      kept[#kept + 1] = fields[i]
      kept[#kept + 1] = fields[i + 1]
    end
  end
  return kept
end
`;

/** Lua of SETTLE and SETTLE_MANY, after PRELUDE. */
const SETTLING = `
-- Record how a run ended, as settle does: 1 when recorded ('done' by anyone, 'failed' and 'dead' by the lease holder).
local function settle_entry(entry, due, status_prefix, member, owner, to, err, retry_ms)
  local e = redis.call('HMGET', entry, 'status', 'owner', 'receivedAt')
  local status = e[1]
  if not status then return 0 end
  if to ~= 'done' and (status ~= 'running' or e[2] ~= owner) then return 0 end
  local now = now_ms()
  local at = now
  if to == 'failed' then at = now + tonumber(retry_ms) end
  local attempt = {at = ms_text(now), attempt = tonumber(redis.call('HGET', entry, 'attempts')), outcome = to}
  if to ~= 'done' then attempt.error = err end
  append_history(entry, 'attemptLog', attempt)
  redis.call('HSET', entry, 'status', to, 'owner', '', 'dueAt', at)
  if to ~= 'done' then redis.call('HSET', entry, 'lastError', err) end
  if to == 'failed' then redis.call('ZADD', due, at, member) else redis.call('ZREM', due, member) end
  move_status(status_prefix, member, status, to, e[3])
  return 1
end
`;

/** Lua of ADMIT and ADMIT_MANY, after PRELUDE and ENTRY_FIELDS. */
const ADMITTING = `
-- K: entry, due, recv[, token state, token timeline, token counts (single server only)].
-- A: status prefix, member, as, owner, leaseMs, error, fingerprint, provider, id, type, tokenRef, state,
-- occurredAt, receivedAt, body, timeline member, token key.
-- Returns { admitted, conflict, fields, new }: for a new entry, only the fields the caller did not send
-- (status, attempts, owner, dueAt, lastError, projection, staleReason), written by one HSET; else all of them.
local function admit_entry(K, A)
  local entry, due, recv = K[1], K[2], K[3]
  local now = now_ms()
  local function reply(admitted, conflict) return {admitted, conflict, entry_fields(entry), 0} end
  local status = redis.call('HGET', entry, 'status')
  if not status then
    local as, member, received_at = A[3], A[2], A[14]
    local attempts, owner, due_at, last_error, outcome, reason = 0, '', now, '', '', ''
    if as == 'running' then
      attempts, owner, due_at = 1, A[4], now + tonumber(A[5])
      if K[4] then outcome, reason = project(K[4], A[12], A[13], A[9], now, K[6]) end
    elseif as == 'quarantined' then
      last_error = A[6]
    end
    local own = {'status', as, 'attempts', attempts, 'owner', owner, 'dueAt', due_at, 'lastError', last_error,
      'projection', outcome, 'staleReason', reason}
    redis.call('HSET', entry, 'provider', A[8], 'id', A[9], 'fingerprint', A[7], 'conflicts', 0, 'type', A[10],
      'tokenRef', A[11], 'state', A[12], 'occurredAt', A[13], 'receivedAt', received_at, 'body', A[15],
      'tokenKey', A[17], unpack(own))
    redis.call('ZADD', recv, received_at, member)
    redis.call('ZADD', shard_of(A[1]) .. 'byprovider:' .. string.match(member, '^[^:]*'), received_at, member)
    if K[5] then redis.call('ZADD', K[5], received_at, A[16]) end
    if as ~= 'quarantined' then redis.call('ZADD', due, due_at, member) end
    move_status(A[1], member, false, as, received_at)
    return {1, 0, own, 1}
  end
  append_history(entry, 'copyLog', {at = ms_text(now), fingerprint = A[7]})
  local fingerprint = redis.call('HGET', entry, 'fingerprint')
  -- an entry carried over from 0.1 has no fingerprint (0.1 kept none): any copy of it is a duplicate
  if fingerprint ~= A[7] and fingerprint ~= '' then
    if redis.call('HINCRBY', entry, 'conflicts', 1) == 1 then
      local shard = shard_of(A[1])
      redis.call('ZADD', shard .. 'conflicted', redis.call('HGET', entry, 'receivedAt'), A[2])
      count(shard .. 'counts', string.match(A[2], '^[^:]*') .. '|conflicted', 1)
    end
    return reply(0, 1)
  end
  if A[3] == 'running' then
    local expired = status == 'running' and tonumber(redis.call('HGET', entry, 'dueAt')) <= now
    if status == 'pending' or status == 'failed' or status == 'dead' or expired then
      take(entry, due, A[1], A[2], status, A[4], A[5], K[4], now, K[6])
      return reply(1, 0)
    end
  end
  return reply(0, 0)
end
`;

/** The admit of one entry: KEYS and ARGV as `admit_entry`'s K and A. */
export const ADMIT = script(`${PRELUDE}${ENTRY_FIELDS}${ADMITTING}
return admit_entry(KEYS, ARGV)`);

/** How many ARGV each entry of ADMIT_MANY takes. */
const ADMIT_ARGS = 17;

/**
 * The admits of several entries, in the order given, each as ADMIT would (an entry given twice: the second finds the
 * first). KEYS: each entry's K in turn, ARGV[1] keys per entry; then each entry's A (`ADMIT_ARGS` each). Returns one
 * reply per entry, ADMIT's, or { -1, message } for an entry whose admit failed (the others stand).
 */
export const ADMIT_MANY = script(`${PRELUDE}${ENTRY_FIELDS}${ADMITTING}
local per = tonumber(ARGV[1])
local replies = {}
for i = 0, #KEYS / per - 1 do
  local ok, r = pcall(admit_entry, {unpack(KEYS, i * per + 1, (i + 1) * per)},
    {unpack(ARGV, 2 + i * ${ADMIT_ARGS}, 1 + (i + 1) * ${ADMIT_ARGS})})
  if ok then replies[i + 1] = r
  elseif type(r) == 'table' then replies[i + 1] = {-1, tostring(r.err)}
  else replies[i + 1] = {-1, tostring(r)} end
end
return replies`);

/**
 * KEYS: due. ARGV: status prefix, entry key prefix, owner, leaseMs, apply state here ('1' on a single server),
 * token counts key (single server)[, member].
 * Takes the due entry with the oldest due time (or the given member when it is due). Returns its fields, 0
 * when an index member was stale (look again), or false when nothing is due.
 */
export const LEASE = script(`${PRELUDE}${LEASING}
local due = KEYS[1]
local now = now_ms()
local member = ARGV[7]
if not member then
  member = redis.call('ZRANGEBYSCORE', due, '-inf', now, 'LIMIT', 0, 1)[1]
  if not member then return false end
end
if lease_member(due, ARGV[2], ARGV[1], member, ARGV[3], ARGV[4], ARGV[5] == '1', ARGV[6], now) then
  return redis.call('HGETALL', ARGV[2] .. member)
end
if ARGV[7] then return false end
return 0`);

/**
 * KEYS: the due index of each shard it takes from. ARGV: owner, leaseMs, apply states here ('1' on a single server),
 * token counts key (single server), limit, then per shard: its status prefix and entry key prefix.
 * Takes up to limit due entries, each as LEASE would, oldest due time first across the shards (within a shard, in
 * the order LEASE takes them), applying states in that order. Returns, per entry taken, its fields (without its
 * history) and the due time it had.
 */
export const LEASE_MANY = script(`${PRELUDE}${LEASING}${ENTRY_FIELDS}
local now = now_ms()
local owner, lease_ms, apply, counts, limit = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4], tonumber(ARGV[5])
local heads, seen, taken = {}, {}, {}
-- A shard's next due member and its score; false when none. A member taken already (due again at once: a lease of
-- 0 ms) ends the shard's turn, so no entry is taken twice.
local function head(i)
  local found = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', now, 'WITHSCORES', 'LIMIT', 0, 1)
  if found[1] and not seen[i .. '|' .. found[1]] then heads[i] = {found[1], found[2]} else heads[i] = false end
end
for i = 1, #KEYS do head(i) end
while #taken < limit do
  local best = false
  for i = 1, #KEYS do
    if heads[i] and (not best or tonumber(heads[i][2]) < tonumber(heads[best][2])) then best = i end
  end
  if not best then break end
  local member, was = heads[best][1], heads[best][2]
  local entry_prefix = ARGV[5 + 2 * best]
  if lease_member(KEYS[best], entry_prefix, ARGV[4 + 2 * best], member, owner, lease_ms, apply, counts, now) then
    seen[best .. '|' .. member] = true
    taken[#taken + 1] = {entry_fields(entry_prefix .. member), was}
  end
  head(best)
end
return taken`);

/** KEYS: a shard's due index. ARGV: limit. Returns the due times (by the Redis clock) of up to limit due entries, oldest first. */
export const DUE_TIMES = script(`${PRELUDE}
local found = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms(), 'WITHSCORES', 'LIMIT', 0, ARGV[1])
local times = {}
for i = 2, #found, 2 do times[#times + 1] = found[i] end
return times`);

/**
 * A cluster's token slot: KEYS: token state. ARGV: state, occurredAt, eventId. Returns { outcome, staleReason,
 * state before, state after } (the last two '' when the state did not change): the caller keeps the token counts.
 */
export const PROJECT = script(`${PRELUDE}
local outcome, reason, from, to = project(KEYS[1], ARGV[1], ARGV[2], ARGV[3], now_ms(), false)
return {outcome, reason, from or '', to or ''}`);

/** KEYS: entry, due. ARGV: member, owner, leaseMs. */
export const EXTEND = script(`${PRELUDE}
local now = now_ms()
local e = redis.call('HMGET', KEYS[1], 'status', 'owner', 'dueAt')
if e[1] ~= 'running' or e[2] ~= ARGV[2] or tonumber(e[3]) <= now then return 0 end
local at = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'dueAt', at)
redis.call('ZADD', KEYS[2], at, ARGV[1])
return 1`);

/** KEYS: entry, due. ARGV: status prefix, member, owner, status, error, retryMs. Returns 1 when settled. */
export const SETTLE = script(`${PRELUDE}${SETTLING}
return settle_entry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])`);

/**
 * SETTLE for several entries: KEYS: per entry, its key and its shard's due index. ARGV: per entry, SETTLE's six.
 * Returns per entry 1 when settled, else 0.
 */
export const SETTLE_MANY = script(`${PRELUDE}${SETTLING}
local settled = {}
for i = 1, #KEYS / 2 do
  local a = (i - 1) * 6
  settled[i] = settle_entry(KEYS[2 * i - 1], KEYS[2 * i], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6])
end
return settled`);

/** KEYS: entry, due. ARGV: status prefix, member, the statuses it may have (comma-separated). Makes a failed, dead or done entry pending again. */
export const REQUEUE = script(`${PRELUDE}
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'failed' and status ~= 'dead' and status ~= 'done' then return 0 end
if not string.find(',' .. ARGV[3] .. ',', ',' .. status .. ',', 1, true) then return 0 end
local now = now_ms()
append_history(KEYS[1], 'attemptLog', {at = ms_text(now), attempt = tonumber(redis.call('HGET', KEYS[1], 'attempts')), outcome = 'requeued'})
redis.call('HSET', KEYS[1], 'status', 'pending', 'attempts', 0, 'owner', '', 'dueAt', now, 'lastError', '')
redis.call('ZADD', KEYS[2], now, ARGV[2])
move_status(ARGV[1], ARGV[2], status, 'pending', redis.call('HGET', KEYS[1], 'receivedAt'))
return 1`);

/**
 * KEYS: done index, due, recv. ARGV: cutoff ms (exclusive), batch size, entry key prefix, status prefix.
 * Removes up to one batch of done entries received before the cutoff, and them from the counts; returns how
 * many it looked at.
 */
export const PRUNE = script(`${PRELUDE}
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
local shard = shard_of(ARGV[4])
for _, m in ipairs(members) do
  local e = redis.call('HMGET', ARGV[3] .. m, 'receivedAt', 'conflicts')
  local provider = string.match(m, '^[^:]*')
  if e[1] then
    count(shard .. 'counts', provider .. '|done', -1)
    count(shard .. 'minute:' .. minute_of(e[1]), provider .. '|done', -1)
    if tonumber(e[2] or '0') > 0 then
      redis.call('ZREM', shard .. 'conflicted', m)
      count(shard .. 'counts', provider .. '|conflicted', -1)
    end
  end
  redis.call('DEL', ARGV[3] .. m)
  redis.call('ZREM', shard .. 'byprovider:' .. provider, m)
  redis.call('ZREM', KEYS[1], m)
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZREM', KEYS[3], m)
end
return #members`);

/**
 * An entry carried over from an earlier version, written whole unless its key holds one already.
 * KEYS: entry, due, recv[, token timeline (single server)]. ARGV: status prefix, member, status, attempts, dueAt,
 * lastError, projection, staleReason, provider, id, type, tokenRef, state, occurredAt, receivedAt, body,
 * timeline member, token key. Returns 1 when written.
 */
export const IMPORT = script(`${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local status, received_at = ARGV[3], ARGV[15]
redis.call('HSET', KEYS[1], 'provider', ARGV[9], 'id', ARGV[10], 'fingerprint', '', 'conflicts', 0, 'type', ARGV[11],
  'tokenRef', ARGV[12], 'state', ARGV[13], 'occurredAt', ARGV[14], 'receivedAt', received_at, 'body', ARGV[16],
  'tokenKey', ARGV[18], 'status', status, 'attempts', ARGV[4], 'owner', '', 'dueAt', ARGV[5], 'lastError', ARGV[6],
  'projection', ARGV[7], 'staleReason', ARGV[8])
redis.call('ZADD', KEYS[3], received_at, ARGV[2])
if KEYS[4] then redis.call('ZADD', KEYS[4], received_at, ARGV[17]) end
if status == 'pending' or status == 'failed' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[2]) end
move_status(ARGV[1], ARGV[2], false, status, received_at)
return 1`);

/**
 * A token state carried over from an earlier version, unless the token has one already.
 * KEYS: token state[, token counts (single server)]. ARGV: state, occurredAt, eventId, updatedAt. Returns 1 when written.
 */
export const IMPORT_STATE = script(`${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'occurredAt', ARGV[2], 'eventId', ARGV[3], 'updatedAt', ARGV[4])
recount_token(KEYS[2], KEYS[1], false, ARGV[1])
return 1`);


/**
 * KEYS: one minute's refusal counts (a hash: `<provider>|<status>|<code>` the count, and the same with `|last` the
 * latest time, in ms). ARGV: when the key expires (ms), then per kind: its field, count, latest time.
 */
export const ADD_REFUSALS = script(`
for i = 2, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  local last = redis.call('HGET', KEYS[1], ARGV[i] .. '|last')
  if not last or tonumber(last) < tonumber(ARGV[i + 2]) then redis.call('HSET', KEYS[1], ARGV[i] .. '|last', ARGV[i + 2]) end
end
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1`);

/**
 * KEYS: a shard's receipt index. ARGV: the shard's key prefix (`<prefix>{s<n>}:`), the first rank, how many. Adds that
 * range of the receipt index to each provider's receipt index of the shard (a member starts with its encoded
 * provider); returns how many it read.
 */
export const INDEX_BY_PROVIDER = script(`
local members = redis.call('ZRANGE', KEYS[1], ARGV[2], tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1, 'WITHSCORES')
for i = 1, #members, 2 do
  redis.call('ZADD', ARGV[1] .. 'byprovider:' .. string.match(members[i], '^[^:]*'), members[i + 1], members[i])
end
return #members / 2`);
