import assert from 'node:assert/strict';
import type { PoolClient } from 'pg';
import { ConfigurationError } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import type { EntryRecord } from '../../lib/storage/storage';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from './services';

/** One connection, so that what the test runs on the pool reaches the connection the storage prepared on. */
const oneConnection = (schema: string, preparedStatements?: boolean) =>
  new PostgresStorage({ connectionString: DATABASE_URL, schema, poolConfig: { max: 1 }, ...(preparedStatements === undefined ? {} : { preparedStatements }) });

const record = (id: string): EntryRecord => ({
  provider: 'p', id, type: 'token.active', tokenRef: `t-${id}`, state: 'ACTIVE', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}',
});

/** The statements the storage's one connection holds prepared. */
async function preparedOn(storage: PostgresStorage): Promise<string[]> {
  const result = await storage['pool'].query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY statement');
  return result.rows.map((row) => row.statement);
}

/** Deliver one event the way a sync delivery does: admit it taken, then settle it done. */
async function deliverOne(storage: PostgresStorage, id: string): Promise<void> {
  const admission = await storage.admit(record(id), { as: 'running', owner: 'o', leaseMs: 60_000 });
  assert.equal(admission.admitted, true, `${id} admitted`);
  assert.equal(await storage.settle({ provider: 'p', id }, 'o', { status: 'done' }), true, `${id} settled`);
}

describe('PostgresStorage prepared statements', function () {
  const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
  const schemas: string[] = [];
  const storages: PostgresStorage[] = [];
  const open = async (preparedStatements?: boolean) => {
    const schema = uniqueName('ntw_test_');
    schemas.push(schema);
    const storage = oneConnection(schema, preparedStatements);
    storages.push(storage);
    await storage.init();
    return storage;
  };
  afterEach(async function () {
    await Promise.all(storages.splice(0).map((s) => s.close()));
    if (service.available) for (const schema of schemas.splice(0)) await dropSchema(schema);
  });

  it('prepares the delivery path\'s statements once per connection, by default', async function () {
    const storage = await open();
    await deliverOne(storage, 'a');
    const first = await preparedOn(storage);
    assert.equal(first.length, 2, 'admit and settle');
    assert.ok(first.some((s) => s.includes('ntw_admit_v2(')), 'the admit function call');
    assert.ok(first.some((s) => s.includes("status = 'done'")), 'the settle');
    await deliverOne(storage, 'b');
    await deliverOne(storage, 'c');
    assert.deepEqual(await preparedOn(storage), first, 'used again, not prepared again');
    assert.equal(storage['prepared'].named, true);
  });

  it('sends unnamed queries with preparedStatements: false', async function () {
    const storage = await open(false);
    await deliverOne(storage, 'a');
    assert.deepEqual(await preparedOn(storage), []);
  });

  it('runs a query again unnamed, once, when the server lost its statement (a pooler handing over another connection), and stays unnamed', async function () {
    const storage = await open();
    await deliverOne(storage, 'a');
    // What the client sees behind PgBouncer in transaction mode: its next query lands where the statement is unknown.
    await storage['pool'].query('DEALLOCATE ALL');
    await deliverOne(storage, 'b');
    assert.equal(storage['prepared'].named, false);
    assert.equal((await storage.admit(record('b'), { as: 'running', owner: 'o', leaseMs: 60_000 })).admitted, false, 'b was admitted once');
    assert.equal((await storage.getEntry({ provider: 'p', id: 'b' }))?.status, 'done');
    await deliverOne(storage, 'c');
    assert.deepEqual(await preparedOn(storage), [], 'nothing prepared again');
  });

  it('runs a query again unnamed when the server already holds a statement of that name (a connection prepared by another client)', async function () {
    const storage = await open();
    await deliverOne(storage, 'a');
    // The client forgets what it prepared, as a new client would on a server connection a pooler reuses.
    const client: PoolClient = await storage['pool'].connect();
    (client as unknown as { connection: { parsedStatements: Record<string, string> } }).connection.parsedStatements = {};
    client.release();
    await deliverOne(storage, 'b');
    assert.equal(storage['prepared'].named, false);
    assert.equal((await storage.getEntry({ provider: 'p', id: 'b' }))?.status, 'done');
    assert.equal((await storage.admit(record('b'), { as: 'running', owner: 'o', leaseMs: 60_000 })).admitted, false, 'b was admitted once');
  });

  it('passes on other errors of a named statement as they are', async function () {
    const storage = await open();
    await deliverOne(storage, 'a');
    await storage['pool'].query(`DROP FUNCTION ${storage.names.admit}`);
    await assert.rejects(storage.admit(record('b'), { as: 'running', owner: 'o', leaseMs: 60_000 }), (error: { code?: string }) => error.code === '42883');
    assert.equal(storage['prepared'].named, true);
  });

  it('refuses a preparedStatements that is not a boolean', function () {
    assert.throws(() => new PostgresStorage({ connectionString: DATABASE_URL, preparedStatements: 'false' as unknown as boolean }),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });
});
