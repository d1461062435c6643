import type { Redis } from 'ioredis';
import type { EventKey } from '../../../storage';
import type { RedisLayout } from '../../../redis-layout';
import { IMPORT, IMPORT_STATE, runScript } from '../../../redis-scripts';
import { logger } from '../../../../log';
import { olderVersionActive } from '../schema-version';
import type { RedisMigration } from './step';
import { WAIT_MS, pause, redisNow } from './waiting';

const log = logger('storage:redis');
const SCAN_BATCH = 500;
const dec = decodeURIComponent;

/** Every key matching `pattern` (a single server), a batch at a time. */
async function* scan(client: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/** 0.1's event log entry (`event:<provider>:<id>`, its `json` field). */
interface EventJson {
  readonly provider: string; readonly id: string; readonly type: string; readonly tokenRef: string; readonly state?: string;
  readonly occurredAt: number; readonly receivedAt: number; readonly stale?: boolean; readonly staleReason?: string; readonly payload?: unknown;
}

interface Imported {
  readonly key: EventKey;
  readonly status: string;
  readonly attempts: number;
  readonly dueAt: number;
  readonly lastError: string;
  readonly stale: boolean;
  readonly staleReason: string;
  readonly type: string;
  readonly tokenRef: string;
  readonly state: string;
  readonly occurredAt: number;
  readonly receivedAt: number;
  readonly body: string;
}

async function importEntry(layout: RedisLayout, e: Imported): Promise<void> {
  const k = layout.entry(e.key);
  await runScript(layout.client, IMPORT, [k.entry, k.due, k.recv, layout.timelineKey(e.key.provider, e.tokenRef)], [
    k.statusPrefix, k.member, e.status, e.attempts, e.dueAt, e.lastError, e.stale ? 'stale' : '', e.staleReason,
    e.key.provider, e.key.id, e.type, e.tokenRef, e.state, e.occurredAt, e.receivedAt, e.body, k.timelineMember,
    layout.tokenKey(e.key.provider, e.tokenRef),
  ]);
}

/** Entries 0.1 had leased or claimed and not finished: a 0.1 instance is running them now. */
async function liveOf01(client: Redis, prefix: string, now: number): Promise<number> {
  let live = 0;
  for await (const keys of scan(client, `${prefix}claim:*`)) {
    const values = await client.mget(...keys);
    live += values.filter((v) => v?.startsWith('L:')).length;
  }
  for (const member of await client.zrangebyscore(`${prefix}inbox:due`, `(${now}`, '+inf')) {
    if (await client.hget(`${prefix}inbox:e:${member}`, 'owner')) live++;
  }
  return live;
}

/**
 * Step 2: what 0.1 stored, carried into the ledger, as for the SQL stores (PostgreSQL's step 2 says the rules):
 * inbox entries (`inbox:e:*`) keep their bodies and outcomes; logged events (`event:*`) are done when their claim
 * (`claim:*`) completed, failed otherwise; none has a fingerprint; token states (`state:*`) move to the ledger's keys.
 * Refused while a 0.1 instance holds a live claim or lease. Then 0.1's event index (`idx:all`) is renamed `v1:idx:all`
 * and a plain string takes its name: a 0.1 instance still running, or started again, fails when it logs an event, which
 * it does before its handlers run, and answers retry-later. 0.1's other keys stay as they were (docs/upgrading.md).
 * 0.1 ran on a single server only: a cluster has nothing to carry.
 */
async function apply(layout: RedisLayout): Promise<void> {
  if (layout.cluster) return;
  const client = layout.client as Redis;
  const p = layout.keyPrefix;
  const old = await client.exists(`${p}idx:all`, `${p}claims:done`, `${p}inbox:due`, `${p}inbox:done`, `${p}inbox:dead`);
  if (old === 0 || await client.type(`${p}idx:all`) === 'string') return;
  for (const waitUntil = Date.now() + WAIT_MS; ;) {
    const live = await liveOf01(client, p, await redisNow(client));
    if (live === 0) break;
    if (Date.now() > waitUntil) throw olderVersionActive(layout.where, `instances of network-token-webhooks 0.1 are running ${live} event(s) in this Redis`);
    await pause(250);
  }
  if (await client.exists(`${p}idx:all`)) await client.rename(`${p}idx:all`, `${p}v1:idx:all`);
  await client.set(`${p}idx:all`, 'network-token-webhooks: upgraded from 0.1; stop every 0.1 instance (its writes fail so that no event runs twice)');
  const now = await redisNow(client);
  let entries = 0;
  let states = 0;

  for await (const keys of scan(client, `${p}inbox:e:*`)) {
    const hashes = await Promise.all(keys.map((key) => client.hgetall(key)));
    for (const h of hashes) {
      if (!h.provider || h.id === undefined || !h.body) continue;
      let event: { type?: string; tokenRef?: string; state?: string; occurredAt?: string; receivedAt?: string };
      try {
        event = (JSON.parse(h.body) as { event: typeof event }).event;
      } catch {
        log.warn({ provider: h.provider, eventId: h.id }, 'carry forward: a 0.1 inbox entry has a body it did not write; left as it is');
        continue;
      }
      const attempts = Number(h.attempts ?? 0);
      const logged = await client.hget(`${p}event:${encodeURIComponent(h.provider)}:${encodeURIComponent(h.id)}`, 'json');
      const json = logged ? JSON.parse(logged) as EventJson : undefined;
      await importEntry(layout, {
        key: { provider: h.provider, id: h.id },
        status: h.status === 'done' || h.status === 'dead' ? h.status : attempts > 0 ? 'failed' : 'pending',
        attempts, dueAt: Number(h.nextAttemptAt ?? now), lastError: h.lastError ?? '', stale: json?.stale === true, staleReason: json?.staleReason ?? '',
        type: event.type ?? 'notification', tokenRef: event.tokenRef ?? '', state: event.state ?? '',
        occurredAt: Date.parse(event.occurredAt ?? '') || now, receivedAt: Date.parse(event.receivedAt ?? '') || now, body: h.body,
      });
      entries++;
    }
  }

  for await (const keys of scan(client, `${p}event:*`)) {
    const logged = await Promise.all(keys.map((key) => client.hget(key, 'json')));
    const claims = await client.mget(...keys.map((key) => `${p}claim:${key.slice(`${p}event:`.length)}`));
    for (const [i, text] of logged.entries()) {
      if (!text) continue;
      const e = JSON.parse(text) as EventJson;
      const claim = claims[i];
      const completedAt = claim?.startsWith('D:') ? Number(claim.slice(2)) : undefined;
      const body = JSON.stringify({
        event: {
          id: e.id, provider: e.provider, type: e.type, tokenRef: e.tokenRef, ...(e.state ? { state: e.state } : {}), changes: [],
          occurredAt: new Date(e.occurredAt).toISOString(), receivedAt: new Date(e.receivedAt).toISOString(),
        },
        payload: e.payload,
      });
      await importEntry(layout, {
        key: { provider: e.provider, id: e.id }, status: completedAt === undefined ? 'failed' : 'done', attempts: 1,
        dueAt: completedAt ?? now, lastError: completedAt === undefined ? 'its last run under network-token-webhooks 0.1 did not complete' : '',
        stale: e.stale === true, staleReason: e.staleReason ?? '', type: e.type, tokenRef: e.tokenRef, state: e.state ?? '',
        occurredAt: e.occurredAt, receivedAt: e.receivedAt, body,
      });
      entries++;
    }
  }

  for await (const keys of scan(client, `${p}state:*`)) {
    for (const key of keys) {
      const [provider, tokenRef] = key.slice(`${p}state:`.length).split(':').map(dec) as [string, string];
      const s = await client.hgetall(key);
      if (!s.state || !s.occurredAt || s.eventId === undefined || !s.updatedAt) continue;
      await runScript(client, IMPORT_STATE, [layout.tokenKey(provider, tokenRef), layout.tokenCountsKey()], [s.state, s.occurredAt, s.eventId, s.updatedAt]);
      states++;
    }
  }
  log.info({ entries, states }, 'carried forward from 0.1');
}

export const carryForward01: RedisMigration = { version: 2, name: 'carry forward 0.1', apply };
