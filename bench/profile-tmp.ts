import { Client } from 'pg';
import { prefill } from './prefill';
import { freshStore } from './services';
import { storageFrom } from './servers/storage';
(async () => {
  const store = await freshStore('postgres');
  try {
    await prefill(store, Number(process.argv[2]), 900_000, () => undefined);
    const storage = storageFrom(store.env);
    await storage.init?.();
    const s = store.env.DATABASE_SCHEMA;
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      await storage.stats!({ since: new Date(Date.now() - 3600_000), until: new Date() });
      const a = performance.now() - t;
      t = performance.now();
      await storage.listEntries({ order: 'newest', limit: 50 });
      console.log('stats', a.toFixed(1), 'list', (performance.now() - t).toFixed(1));
    }
    const c = new Client({ connectionString: store.env.DATABASE_URL });
    await c.connect();
    const now = new Date().toISOString(), since = new Date(Date.now() - 3600_000).toISOString();
    for (const sql of [
      `SELECT floor((extract(epoch from received_at) * 1000)::float8 / 60000) * 60000 AS minute, provider, status, count(*)::integer FROM "${s}".ntw_ledger WHERE received_at >= '${since}' AND received_at < '${now}' GROUP BY 1, provider, status`,
      `SELECT provider, status, count(*)::integer FROM "${s}".ntw_ledger WHERE status <> 'done' GROUP BY status, provider`,
      `SELECT provider, state, count(*)::integer FROM "${s}".ntw_token_states WHERE true GROUP BY provider, state`,
      `SELECT count(*)::integer FROM "${s}".ntw_ledger WHERE conflicts > 0`,
      `SELECT * FROM "${s}".ntw_ledger e ORDER BY received_at DESC, provider DESC, id DESC LIMIT 50`,
    ]) {
      const r = await c.query(`EXPLAIN (ANALYZE, COSTS OFF) ${sql}`);
      console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'), '\n');
    }
    await c.end();
    await storage.close?.();
  } finally {
    await store.cleanup();
  }
})();
