import assert from 'node:assert/strict';
import { Pool } from 'pg';
import type { EntryRecord } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { postgresNames } from '../../lib/storage/postgres-schema';
import { ANALYZE_AFTER_ENTRIES, LedgerStatistics } from '../../lib/storage/postgres-statistics';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from './services';

const record = (id: string): EntryRecord => ({
  provider: 'cybersource', id, type: 'token.active', tokenRef: `tok-${id}`, state: 'ACTIVE', occurredAt: new Date(1000),
  receivedAt: new Date(2000), fingerprint: 'f', body: '{}',
});
const pending = { as: 'pending' } as const;
const statisticsOf = (storage: PostgresStorage) => (storage as unknown as { statistics: LedgerStatistics }).statistics;

/** The storage and, on a pool of its own, what PostgreSQL knows of its ledger and how it plans a lookup by key. */
function fixture(schema: string) {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 4 });
  // every statement, whichever way it is sent (the pool's query, or a connection checked out for a transaction),
  // and each connection's own in its order: statements on other connections interleave with a transaction's
  const statements: string[] = [];
  const byConnection: string[][] = [];
  pool.on('connect', (client) => {
    const own: string[] = [];
    byConnection.push(own);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
      const text = typeof config === 'string' ? config : (config as { text: string }).text;
      statements.push(text);
      own.push(text);
      return query(config, ...rest);
    };
  });
  const ledger = postgresNames(schema).ledger;
  const inspect = new Pool({ connectionString: DATABASE_URL, max: 1 });
  const planned = async () => Number((await inspect.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = '${ledger}'::regclass`)).rows[0]!.n);
  /** The index condition of the lookup's generic plan, as every connection of the pool keeps it. */
  const lookup = async () => {
    const client = await inspect.connect();
    try {
      await client.query('SET plan_cache_mode = force_generic_plan');
      await client.query(`PREPARE by_key(text, text) AS SELECT * FROM ${ledger} WHERE provider = $1 AND id = $2 FOR UPDATE`);
      const plan = (await client.query<{ 'QUERY PLAN': string }>('EXPLAIN EXECUTE by_key(\'cybersource\', \'x\')')).rows.map((r) => r['QUERY PLAN']).join('\n');
      await client.query('DEALLOCATE by_key');
      return plan;
    } finally {
      client.release();
    }
  };
  return {
    storage: new PostgresStorage({ pool, schema }), pool, statements, byConnection, planned, lookup,
    close: async () => { await pool.end(); await inspect.end(); await dropSchema(schema); },
  };
}

describe('PostgresStorage: the ledger\'s statistics while autovacuum has not gathered them', function () {
  needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);

  it(`analyzes a new ledger once, when it has created ${ANALYZE_AFTER_ENTRIES} entries: a lookup by key is then planned on the key`, async function () {
    const f = fixture(uniqueName('ntw_stats_'));
    try {
      await f.storage.init();
      await statisticsOf(f.storage).idle();
      await Promise.all(Array.from({ length: ANALYZE_AFTER_ENTRIES - 1 }, (_, n) => f.storage.admit(record(`e${n}`), pending)));
      await statisticsOf(f.storage).idle();
      assert.ok(await f.planned() <= 0, 'not analyzed before');
      assert.equal(f.statements.filter((s) => s.startsWith('ANALYZE')).length, 0);

      await f.storage.admit(record('last'), pending);
      await f.storage.admit(record('last'), pending); // a copy creates nothing
      await statisticsOf(f.storage).idle();
      assert.equal(await f.planned(), ANALYZE_AFTER_ENTRIES, 'analyzed: the planner knows the ledger\'s size');
      assert.match(await f.lookup(), /Index Cond: .*\bid = \$2\b/, 'the lookup seeks the id in the index, not every entry of the provider');

      await Promise.all(Array.from({ length: ANALYZE_AFTER_ENTRIES + 10 }, (_, n) => f.storage.admit(record(`more${n}`), pending)));
      await statisticsOf(f.storage).idle();
      assert.equal(f.statements.filter((s) => s.startsWith('ANALYZE')).length, 1, 'once');
      const connection = f.byConnection.find((own) => own.some((s) => s.startsWith('ANALYZE')))!;
      const analyze = connection.findIndex((s) => s.startsWith('ANALYZE'));
      assert.match(connection[analyze - 1]!, /^SET LOCAL statement_timeout = \d+$/, 'in a transaction of its own, with a longer bound than a delivery\'s query');
    } finally {
      await f.storage.close();
      await f.close();
    }
  });

  it('analyzes at start a ledger that holds entries but no statistics (an instance before this one, autovacuum off)', async function () {
    const schema = uniqueName('ntw_stats_');
    const first = fixture(schema);
    const second = fixture(schema);
    try {
      await first.storage.init();
      await first.pool.query(`INSERT INTO ${postgresNames(schema).ledger} (provider, id, status, attempts, due_at, fingerprint, type, token_ref,
          occurred_at, received_at, body) SELECT 'cybersource', 'e' || g, 'done', 1, now(), 'f', 'token.active', 't' || g, now(), now(), '{}'
        FROM generate_series(1, ${ANALYZE_AFTER_ENTRIES}) g`);
      await first.storage.close();

      await second.storage.init();
      await statisticsOf(second.storage).idle();
      assert.equal(await second.planned(), ANALYZE_AFTER_ENTRIES);
    } finally {
      await second.storage.close();
      await first.close().catch(() => undefined);
      await second.close();
    }
  });

  it('leaves a ledger alone that has statistics, and tries once where the role may not analyze', async function () {
    const ran: string[] = [];
    const queries = (planned: number, present: number) => ({
      row: async () => ({ planned, present }),
      run: async (sql: string) => { ran.push(sql); },
      failed: (error: Error) => { throw error; },
    });
    const analyzed = new LedgerStatistics(postgresNames('s'), queries(1200, ANALYZE_AFTER_ENTRIES));
    await analyzed.start();
    for (let n = 0; n < 2 * ANALYZE_AFTER_ENTRIES; n++) analyzed.created();
    await analyzed.idle();
    assert.deepEqual(ran, [], 'autovacuum (or anyone) analyzed it: nothing to do');

    // ANALYZE by a role that does not own the table only warns: the statistics stay missing, and it is not tried again
    const notOwner = new LedgerStatistics(postgresNames('s'), queries(-1, ANALYZE_AFTER_ENTRIES));
    await notOwner.start();
    for (let n = 0; n < 2 * ANALYZE_AFTER_ENTRIES; n++) notOwner.created();
    await notOwner.idle();
    assert.deepEqual(ran, ['ANALYZE "s".ntw_ledger']);
  });
});
