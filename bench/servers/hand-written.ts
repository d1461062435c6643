/**
 * Rows "hand-written": what a careful user writes in Express 5 for the guarantees this library gives on
 * Cybersource, without it. `express.json({ verify })` keeps the raw bytes; the signature and the schema are
 * checked (`hand-written-checks.ts`); the event id is deduplicated; the handler runs; `res.json` answers. Env:
 *   BENCH_STORAGE  memory: a `Map` of seen ids
 *                  postgres: `INSERT … ON CONFLICT DO NOTHING RETURNING` into a table keyed by (provider, id), the
 *                  handler, then `UPDATE … SET done`, on a `pg` pool of the default size (DATABASE_URL, DATABASE_SCHEMA)
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import express from 'express';
import { Pool } from 'pg';
import { PATH } from '../config';
import { eventIdOf, signed, validate } from '../hand-written-checks';
import { serve } from './serve';

interface RawRequest extends IncomingMessage { rawBody?: Buffer }

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
    const id = eventIdOf(req.body);
    if (id === undefined) return void res.status(400).json({ error: 'id' });
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
