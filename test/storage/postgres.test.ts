import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { ConfigurationError } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { runStorageConformance } from '../../lib/testing/storage-conformance';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from './services';

describe('PostgresStorage', function () {
  const schema = uniqueName('ntw_test_');
  const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
  after(async function () {
    if (service.available) await dropSchema(schema);
  });

  runStorageConformance('PostgresStorage', () => new PostgresStorage({ connectionString: DATABASE_URL, schema }), { persistent: true });

  it('creates its tables once when several instances start together', async function () {
    const fresh = uniqueName('ntw_test_');
    const instances = Array.from({ length: 5 }, () => new PostgresStorage({ connectionString: DATABASE_URL, schema: fresh }));
    try {
      await Promise.all(instances.map((s) => s.init()));
      const tables = await instances[0]!['pool'].query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [fresh]);
      assert.deepEqual(tables.rows.map((r) => r.table_name), ['ntw_ledger', 'ntw_token_states']);
    } finally {
      await Promise.all(instances.map((s) => s.close()));
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
});
