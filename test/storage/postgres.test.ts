import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { ConfigurationError } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { runStorageConformance } from '../../lib/storage/kit';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from './services';

describe('PostgresStorage', function () {
  const schema = uniqueName('ntw_test_');
  const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
  after(async function () {
    if (service.available) await dropSchema(schema);
  });

  runStorageConformance('PostgresStorage', () => new PostgresStorage({ connectionString: DATABASE_URL, schema }), { describe, it, before, after }, { persistent: true });

  it('creates its tables once when several instances start together', async function () {
    const fresh = uniqueName('ntw_test_');
    const instances = Array.from({ length: 5 }, () => new PostgresStorage({ connectionString: DATABASE_URL, schema: fresh }));
    try {
      await Promise.all(instances.map((s) => s.init()));
      const tables = await instances[0]!['pool'].query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [fresh]);
      assert.deepEqual(tables.rows.map((r) => r.table_name), ['ntw_ledger', 'ntw_migrations', 'ntw_refusals', 'ntw_token_counts', 'ntw_token_states']);
      const steps = await instances[0]!['pool'].query<{ version: number }>(`SELECT version FROM "${fresh}".ntw_migrations ORDER BY version`);
      assert.deepEqual(steps.rows.map((r) => r.version), [1, 2, 3, 4], 'each step applied once');
    } finally {
      await Promise.all(instances.map((s) => s.close()));
      await dropSchema(fresh);
    }
  });

  it('counts the tokens of a database of 0.2 (no version recorded, no token counts) when it opens it', async function () {
    const fresh = uniqueName('ntw_test_');
    const first = new PostgresStorage({ connectionString: DATABASE_URL, schema: fresh });
    const record = (id: string, tokenRef: string, state: 'ACTIVE' | 'SUSPENDED') => ({
      provider: 'p', id, type: 'token.active', tokenRef, state, occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}',
    });
    try {
      await first.init();
      for (const [id, token, state] of [['a', 't1', 'ACTIVE'], ['b', 't2', 'ACTIVE'], ['c', 't3', 'SUSPENDED']] as const) {
        await first.admit(record(id, token, state), { as: 'running', owner: 'o', leaseMs: 1000 });
      }
      await first['pool'].query(`DROP TABLE "${fresh}".ntw_token_counts CASCADE; DROP TABLE "${fresh}".ntw_migrations`);
      await first.init();
      const tokens = (await first.stats({ since: new Date(0), until: new Date(1) })).tokens;
      assert.deepEqual([...tokens].sort((a, b) => a.state.localeCompare(b.state)), [
        { provider: 'p', state: 'ACTIVE', count: 2 }, { provider: 'p', state: 'SUSPENDED', count: 1 },
      ]);
    } finally {
      await first.close();
      await dropSchema(fresh);
    }
  });

  it('writes a new entry once, its state applied before the insert, and admits concurrent copies of it once', async function () {
    const fresh = uniqueName('ntw_test_');
    const storage = new PostgresStorage({ connectionString: DATABASE_URL, schema: fresh, poolConfig: { max: 8 } });
    try {
      await storage.init();
      const record = { provider: 'cybersource', id: 'e1', type: 'token.suspended', tokenRef: 't1', state: 'SUSPENDED' as const, occurredAt: new Date(1000), receivedAt: new Date(2000), fingerprint: 'f', body: '{}' };
      assert.equal((await storage.admit(record, { as: 'running', owner: 'o', leaseMs: 60_000 })).entry.projection, 'changed');
      // one row version: the first tuple of the table's first page (an update would have written (0,2))
      const rows = await storage['pool'].query<{ ctid: string; projection: string }>(`SELECT ctid::text, projection FROM "${fresh}".ntw_ledger`);
      assert.deepEqual(rows.rows, [{ ctid: '(0,1)', projection: 'changed' }]);
      const counted = await storage['pool'].query<{ n: string }>(`SELECT sum(count)::text AS n FROM "${fresh}".ntw_token_counts WHERE state = 'SUSPENDED'`);
      assert.equal(counted.rows[0]?.n, '1');
      const other = { ...record, id: 'e2', tokenRef: 't2' };
      const admissions = await Promise.all(Array.from({ length: 8 }, () => storage.admit(other, { as: 'running', owner: 'o', leaseMs: 60_000 })));
      assert.equal(admissions.filter((a) => a.admitted).length, 1);
      assert.equal((await storage.getHistory({ provider: other.provider, id: other.id })).copies.length, 7, 'each later copy recorded');
    } finally {
      await storage.close();
      await dropSchema(fresh);
    }
  });

  it('keeps the admit of earlier versions, answering the whole row, for their instances during a rolling upgrade', async function () {
    const fresh = uniqueName('ntw_test_');
    const storage = new PostgresStorage({ connectionString: DATABASE_URL, schema: fresh });
    try {
      await storage.init();
      // the call an instance of an earlier version makes
      const call = (id: string) => storage['pool'].query<{ r: { admitted: boolean; entry: { id: string; status: string; projection: string | null; body: string } } }>(
        `SELECT "${fresh}".ntw_admit($1, $2, 'token.active', 't1', 'ACTIVE', $3, $3, 'f', '{"kept":true}', 'running', 'o', 60000, NULL) AS r`,
        ['cybersource', id, new Date(1000).toISOString()]);
      const first = (await call('e1')).rows[0]!.r;
      assert.deepEqual([first.admitted, first.entry.id, first.entry.status, first.entry.projection, first.entry.body],
        [true, 'e1', 'running', 'changed', '{"kept":true}']);
      const again = (await call('e1')).rows[0]!.r;
      assert.deepEqual([again.admitted, again.entry.status], [false, 'running']);
      // and what it wrote is what this version reads
      assert.equal((await storage.getEntry({ provider: 'cybersource', id: 'e1' }))?.projection, 'changed');
    } finally {
      await storage.close();
      await dropSchema(fresh);
    }
  });

  it('uses an existing Pool and leaves it open on close()', async function () {
    const pool = new Pool({ connectionString: DATABASE_URL, max: 2 });
    try {
      const storage = new PostgresStorage({ pool, schema });
      await storage.init();
      const record = { provider: uniqueName('p'), id: '1', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' };
      assert.equal((await storage.admit(record, { as: 'running', owner: 'a', leaseMs: 1000 })).admitted, true);
      await storage.close();
      assert.equal((await pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    } finally {
      await pool.end();
    }
  });

  it('refuses a schema name that is not a plain identifier', function () {
    assert.throws(() => new PostgresStorage({ connectionString: DATABASE_URL, schema: 'x"; DROP TABLE y; --' }),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });

  it('gives the pool it creates its deadlines (timeoutMs, default 4000), which poolConfig may override', async function () {
    const settings = async (storage: PostgresStorage) => {
      const pool = storage['pool'];
      const result = await pool.query<{ statement: string; idle: string }>(
        "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle");
      const options = (pool as unknown as { options: Record<string, unknown> }).options;
      return [result.rows[0]!.statement, result.rows[0]!.idle, options.query_timeout, options.connectionTimeoutMillis, options.keepAlive];
    };
    const defaults = new PostgresStorage({ connectionString: DATABASE_URL, schema });
    const custom = new PostgresStorage({ connectionString: DATABASE_URL, schema, timeoutMs: 800, poolConfig: { connectionTimeoutMillis: 2000 } });
    try {
      assert.deepEqual(await settings(defaults), ['4s', '4s', 4500, 4000, true]);
      assert.deepEqual(await settings(custom), ['800ms', '800ms', 1300, 2000, true]);
    } finally {
      await defaults.close();
      await custom.close();
    }
    assert.throws(() => new PostgresStorage({ connectionString: DATABASE_URL, timeoutMs: -1 }),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });
});
