/**
 * Fill a store with processed (`done`) events for `npm run bench:growth`, as fast as the store takes them.
 * One real delivery goes through the library first (Cybersource, the bench payload); then its ledger row and
 * token state, exactly as the adapter wrote them, are cloned with another event id and token reference per
 * copy: bulk INSERT … SELECT generate_series in PostgreSQL, prepared inserts in large transactions in SQLite
 * (this connection only with synchronous=OFF), pipelined writes of the same keys in Redis (its hashes of counts
 * incremented as the scripts would). Receipt times are
 * spread over the last six days (inside the default 7-day retention), every copy names a token of its own.
 */
import { builtinProviders, createTokenWebhooks } from '../lib';
import { SECRETS } from './config';
import { eventId, runTag, tokenRef, traffic } from './payloads';
import { storageFrom } from './servers/storage';
import { pgClient, redisClient } from './services';
import type { Store } from './services';

export interface PrefillResult {
  readonly events: number;
  readonly seconds: number;
  /** Stopped at the time limit before `events` were written. */
  readonly stoppedEarly: boolean;
}

const SPAN_MS = 6 * 24 * 3600 * 1000;
const cloneId = (tag: string, i: number) => `fill-${tag}-${String(i).padStart(7, '0')}`;
const cloneToken = (tag: string, i: number) => `FILL${tag.toUpperCase()}${String(i).padStart(7, '0')}`;

/** One delivery through the library into `store`: the row every copy is cloned from. */
async function templateDelivery(store: Store): Promise<{ id: string; token: string }> {
  const webhooks = createTokenWebhooks({ storage: storageFrom(store.env), pruneIntervalMs: false });
  webhooks.onEvent(() => undefined); // without a handler a delivery is answered retry-later (not_configured)
  try {
    const receive = webhooks.receiver(builtinProviders.cybersource, { keys: { [SECRETS.cybersourceKeyId]: SECRETS.cybersourceKey } });
    const tag = runTag();
    const { body, headers } = traffic('cybersource', tag)(0);
    const answer = await receive({ headers, rawBody: body });
    if (answer.status !== 200) throw new Error(`prefill: the template delivery was answered ${answer.status}: ${answer.body}`);
    return { id: eventId(tag, 0), token: tokenRef(tag, 0) };
  } finally {
    await webhooks.close();
  }
}

export async function prefill(store: Store, events: number, limitMs: number, onProgress: (done: number) => void): Promise<PrefillResult> {
  const template = await templateDelivery(store);
  const tag = runTag();
  const started = performance.now();
  const deadline = Date.now() + limitMs;
  let written: number;
  switch (store.kind) {
    case 'sqlite': written = prefillSqlite(store, template, tag, events, deadline, onProgress); break;
    case 'postgres': written = await prefillPostgres(store, template, tag, events, deadline, onProgress); break;
    case 'redis': written = await prefillRedis(store, template, tag, events, deadline, onProgress); break;
    default: throw new Error(`prefill: nothing to fill in ${store.kind}`);
  }
  return { events: written, seconds: (performance.now() - started) / 1000, stoppedEarly: written < events };
}

interface Template { readonly id: string; readonly token: string }

function prefillSqlite(store: Store, t: Template, tag: string, events: number, deadline: number, onProgress: (done: number) => void): number {
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(store.env.SQLITE_PATH!);
  try {
    db.pragma('synchronous = OFF');
    const row = db.prepare('SELECT * FROM ntw_ledger WHERE id = ?').get(t.id) as Record<string, unknown> | undefined;
    const state = db.prepare('SELECT * FROM ntw_token_states WHERE token_ref = ?').get(t.token) as Record<string, unknown> | undefined;
    if (!row || !state) throw new Error('prefill: the template delivery left no row in SQLite');
    const columns = Object.keys(row);
    const stateColumns = Object.keys(state);
    const insert = db.prepare(`INSERT INTO ntw_ledger (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    const insertState = db.prepare(`INSERT INTO ntw_token_states (${stateColumns.join(', ')}) VALUES (${stateColumns.map(() => '?').join(', ')})`);
    const now = Date.now();
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = cloneId(tag, i);
        const token = cloneToken(tag, i);
        const at = now - SPAN_MS + Math.floor((i / events) * SPAN_MS);
        const copy: Record<string, unknown> = {
          ...row, id, token_ref: token, received_at: at, due_at: at,
          body: String(row.body).replaceAll(t.id, id).replaceAll(t.token, token),
        };
        insert.run(...columns.map((c) => copy[c]));
        insertState.run(...stateColumns.map((c) => ({ ...state, token_ref: token, event_id: id, updated_at: at } as Record<string, unknown>)[c]));
      }
    });
    let done = 0;
    while (done < events && Date.now() < deadline) {
      const to = Math.min(events, done + 50_000);
      batch(done, to);
      done = to;
      onProgress(done);
    }
    // the token counts, as the adapter rebuilds them for a database of an earlier version
    db.exec(`DELETE FROM ntw_token_counts;
      INSERT INTO ntw_token_counts SELECT provider, state, count(*) FROM ntw_token_states GROUP BY provider, state;`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return done;
  } finally {
    db.close();
  }
}

async function prefillPostgres(store: Store, t: Template, tag: string, events: number, deadline: number, onProgress: (done: number) => void): Promise<number> {
  const schema = `"${store.env.DATABASE_SCHEMA!}"`;
  const client = pgClient();
  await client.connect();
  try {
    await client.query('SET statement_timeout = 600000');
    const columns = (await client.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'ntw_ledger' ORDER BY ordinal_position`,
      [store.env.DATABASE_SCHEMA])).rows.map((r) => r.column_name);
    // Every column as the template row has it, except the ones that make a copy another event.
    const n = `lpad(g::text, 7, '0')`;
    const at = `now() - ($6::float8 - g) * $7::float8 * interval '1 millisecond'`;
    const override: Record<string, string> = {
      id: `$3 || ${n}`, token_ref: `$4 || ${n}`, received_at: at, due_at: at,
      body: `replace(replace(t.body, $1, $3 || ${n}), $2, $4 || ${n})`,
    };
    const ledgerSql = `INSERT INTO ${schema}.ntw_ledger (${columns.join(', ')})
      SELECT ${columns.map((c) => override[c] ?? `t.${c}`).join(', ')}
      FROM (SELECT * FROM ${schema}.ntw_ledger WHERE id = $1) t, generate_series($5::int, $8::int) g`;
    const statesSql = `INSERT INTO ${schema}.ntw_token_states (provider, token_ref, state, occurred_at, event_id, updated_at)
      SELECT s.provider, $3 || ${n}, s.state, s.occurred_at, $2 || ${n}, now() - ($5::float8 - g) * $6::float8 * interval '1 millisecond'
      FROM (SELECT * FROM ${schema}.ntw_token_states WHERE token_ref = $1) s, generate_series($4::int, $7::int) g`;
    const step = SPAN_MS / events;
    let done = 0;
    while (done < events && Date.now() < deadline) {
      const to = Math.min(events, done + 50_000);
      const idPrefix = `fill-${tag}-`;
      const tokenPrefix = `FILL${tag.toUpperCase()}`;
      const inserted = await client.query(ledgerSql, [t.id, t.token, idPrefix, tokenPrefix, done, events, step, to - 1]);
      if (inserted.rowCount !== to - done) throw new Error(`prefill: PostgreSQL inserted ${inserted.rowCount} rows, not ${to - done}`);
      await client.query(statesSql, [t.token, idPrefix, tokenPrefix, done, events, step, to - 1]);
      done = to;
      onProgress(done);
    }
    // the token counts, as the adapter rebuilds them for a database of an earlier version
    await client.query(`DELETE FROM ${schema}.ntw_token_counts`);
    await client.query(`INSERT INTO ${schema}.ntw_token_counts SELECT provider, state, 0, count(*) FROM ${schema}.ntw_token_states GROUP BY provider, state`);
    // A table that grew over days has been vacuumed and analyzed by autovacuum by then.
    await client.query(`VACUUM (ANALYZE) ${schema}.ntw_ledger`);
    await client.query(`VACUUM (ANALYZE) ${schema}.ntw_token_states`);
    return done;
  } finally {
    await client.end();
  }
}

type Command = [string, ...(string | number)[]];

/**
 * Redis: the keys the template delivery wrote (its entry, its token's state and timeline, the shard indexes),
 * read back and written again per copy with the id and token replaced, receipt-time scores and fields moved.
 */
async function prefillRedis(store: Store, t: Template, tag: string, events: number, deadline: number, onProgress: (done: number) => void): Promise<number> {
  const prefix = store.env.REDIS_KEY_PREFIX!;
  const client = redisClient();
  await client.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    const entryKey = keys.find((k) => k.includes(t.id) && !k.includes(t.token));
    if (!entryKey) throw new Error('prefill: the template delivery left no entry in Redis');
    const receivedAt = await client.hget(entryKey, 'receivedAt');
    // Each template key as the commands that rebuild it for copy `id`/`token` received at `at`.
    const builders: ((id: string, token: string, at: number) => Command[])[] = [];
    const swap = (text: string, id: string, token: string) => text.replaceAll(t.id, id).replaceAll(t.token, token);
    for (const key of keys) {
      if (key === `${prefix}schema` || key === `${prefix}schema:lock`) continue; // the schema version: the store's, not an event's
      const type = await client.type(key);
      if (type === 'hash' && swap(key, 'x', 'y') === key) {
        // a hash of counts (by status, by minute of receipt, tokens by state): each copy adds what the template added
        const hash = await client.hgetall(key);
        const minute = /:minute:\d+$/.exec(key);
        builders.push((_id, _token, at) => Object.entries(hash).map(([field, n]): Command => [
          'hincrby', minute ? key.replace(/:minute:\d+$/, `:minute:${at - (at % 60_000)}`) : key, field, Number(n)]));
      } else if (type === 'hash') {
        const hash = await client.hgetall(key);
        builders.push((id, token, at) => [['hset', swap(key, id, token),
          ...Object.entries(hash).flatMap(([field, value]) => [field, value === receivedAt || field === 'dueAt' ? String(at) : swap(value, id, token)])]]);
      } else if (type === 'zset') {
        const flat = await client.zrange(key, 0, -1, 'WITHSCORES');
        const members: [string, string][] = [];
        for (let i = 0; i < flat.length; i += 2) if (swap(flat[i]!, 'x', 'y') !== flat[i] || swap(key, 'x', 'y') !== key) members.push([flat[i]!, flat[i + 1]!]);
        if (members.length) {
          builders.push((id, token, at) => [['zadd', swap(key, id, token),
            ...members.flatMap(([member, score]) => [score === receivedAt ? at : score, swap(member, id, token)])]]);
        }
      } else {
        throw new Error(`prefill: unexpected Redis key type ${type} for ${key}`);
      }
    }
    const now = Date.now();
    let done = 0;
    while (done < events && Date.now() < deadline) {
      const to = Math.min(events, done + 1000);
      const pipeline = client.pipeline();
      for (let i = done; i < to; i++) {
        const at = now - SPAN_MS + Math.floor((i / events) * SPAN_MS);
        for (const build of builders) for (const [command, ...args] of build(cloneId(tag, i), cloneToken(tag, i), at)) pipeline.call(command, ...args);
      }
      const results = await pipeline.exec();
      const failed = results?.find(([error]) => error);
      if (failed) throw failed[0]!;
      done = to;
      if (done % 50_000 === 0 || done === events) onProgress(done);
    }
    return done;
  } finally {
    client.disconnect();
  }
}
