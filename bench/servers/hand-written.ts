/**
 * Rows "hand-written": what a careful user writes in Express 5 for the guarantees this library gives on
 * Cybersource, without it. `express.json({ verify })` keeps the raw bytes; the `v-c-signature` HMAC-SHA256
 * (base64 key, over `<t>.<raw body>`, `t` within an hour) is checked with `timingSafeEqual`; the shipped
 * JSON Schema (schemas/cybersource.schema.json) is compiled once with ajv; the event id is deduplicated;
 * the handler runs; `res.json` answers. Env:
 *   BENCH_STORAGE  memory: a `Map` of seen ids
 *                  postgres: `INSERT … ON CONFLICT DO NOTHING RETURNING` into a table keyed by (provider, id), the
 *                  handler, then `UPDATE … SET done`, on a `pg` pool of the default size (DATABASE_URL, DATABASE_SCHEMA)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import Ajv from 'ajv';
import express from 'express';
import { Pool } from 'pg';
import { PATH, ROOT, SECRETS } from '../config';
import { serve } from './serve';

interface RawRequest extends IncomingMessage { rawBody?: Buffer }

const KEYS = new Map([[SECRETS.cybersourceKeyId, Buffer.from(SECRETS.cybersourceKey, 'base64')]]);
const TOLERANCE_MS = 3_600_000;

/** `t=<ms>;keyId=<id>;sig=<base64>` checked over the raw bytes. */
function signed(header: string | string[] | undefined, raw: Buffer | undefined): boolean {
  if (typeof header !== 'string' || !raw) return false;
  const parts = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) parts.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const t = parts.get('t');
  const key = KEYS.get(parts.get('keyId') ?? '');
  const sig = Buffer.from(parts.get('sig') ?? '', 'base64');
  if (!t || !/^\d{1,16}$/.test(t) || !key || Math.abs(Date.now() - Number(t)) > TOLERANCE_MS) return false;
  const expected = createHmac('sha256', key).update(`${t}.`).update(raw).digest();
  return expected.length === sig.length && timingSafeEqual(expected, sig);
}

const validate = new Ajv({ strictTypes: false, strictRequired: false })
  .compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'cybersource.schema.json'), 'utf8')) as object);

interface Dedupe {
  /** True when the id is new (and now claimed). */
  claim(id: string): Promise<boolean>;
  done(id: string): Promise<void>;
  close(): Promise<void>;
}

function memoryDedupe(): Dedupe {
  const seen = new Map<string, boolean>();
  return {
    claim: async (id) => (seen.has(id) ? false : (seen.set(id, false), true)),
    done: async (id) => { seen.set(id, true); },
    close: async () => undefined,
  };
}

async function postgresDedupe(env: NodeJS.ProcessEnv): Promise<Dedupe> {
  const schema = env.DATABASE_SCHEMA!;
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad DATABASE_SCHEMA ${schema}`);
  const pool = new Pool({ connectionString: env.DATABASE_URL });
  await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  await pool.query(`CREATE TABLE IF NOT EXISTS "${schema}".webhook_events (
    provider text NOT NULL, id text NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
    done boolean NOT NULL DEFAULT false, PRIMARY KEY (provider, id))`);
  const claim = `INSERT INTO "${schema}".webhook_events (provider, id) VALUES ('cybersource', $1) ON CONFLICT DO NOTHING RETURNING id`;
  const done = `UPDATE "${schema}".webhook_events SET done = true WHERE provider = 'cybersource' AND id = $1`;
  return {
    claim: async (id) => ((await pool.query({ name: 'claim', text: claim, values: [id] })).rowCount ?? 0) > 0,
    done: async (id) => { await pool.query({ name: 'done', text: done, values: [id] }); },
    close: () => pool.end(),
  };
}

async function main(): Promise<void> {
  const dedupe = process.env.BENCH_STORAGE === 'postgres' ? await postgresDedupe(process.env) : memoryDedupe();
  let handled = 0;
  const handler = (_event: unknown) => { handled++; };
  const app = express();
  app.use(express.json({ verify: (req, _res, buf) => { (req as RawRequest).rawBody = buf; } }));
  app.post(PATH, async (req, res) => {
    if (!signed(req.headers['v-c-signature'], (req as RawRequest).rawBody)) return void res.status(401).json({ error: 'signature' });
    if (!validate(req.body)) return void res.status(400).json({ error: 'schema' });
    const id = (req.body as { payload?: { data?: { id?: unknown } } }).payload?.data?.id;
    if (typeof id !== 'string') return void res.status(400).json({ error: 'id' });
    try {
      if (!(await dedupe.claim(id))) return void res.json({ ok: true, duplicate: true });
      handler(req.body);
      await dedupe.done(id);
      res.json({ ok: true });
    } catch {
      res.status(503).json({ error: 'storage' });
    }
  });
  serve(createServer(app), { handled: () => handled, close: () => dedupe.close() });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
