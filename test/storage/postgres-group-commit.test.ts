import assert from 'node:assert/strict';
import { Pool } from 'pg';
import { ConfigurationError } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { DATABASE_URL, dropSchema, needsService, probePostgres, uniqueName } from './services';
import { admitConcurrentCopies, admitFromTwoInstances, admitTwenty, batchSizeCases, record, running, settleConcurrently, storedAllBut } from './group-commit-cases';

/** A storage on a pool whose statements are recorded: their text, and whether each failed. */
function recorded(schema: string, groupCommit?: boolean) {
  const pool = new Pool({ connectionString: DATABASE_URL, max: 8 });
  const statements: { text: string; rows?: number; failed?: string }[] = [];
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
    const { text, values } = typeof config === 'string' ? { text: config, values: undefined } : config as { text: string; values?: unknown[] };
    // a batch's first parameter is an array with one element per item
    const statement: { text: string; rows?: number; failed?: string } = { text, rows: Array.isArray(values?.[0]) ? values[0].length : 1 };
    statements.push(statement);
    return query(config, ...rest).catch((error: { code?: string }) => {
      statement.failed = error.code ?? 'unknown';
      throw error;
    });
  };
  const storage = new PostgresStorage({ pool, schema, ...(groupCommit === undefined ? {} : { groupCommit }) });
  return { storage, statements, close: async () => { await pool.end(); await dropSchema(schema); } };
}

const batches = (statements: readonly { text: string }[]) => statements.filter((s) => s.text.includes('unnest(')).length;

describe('PostgresStorage group commit (concurrent admits and settles share one statement and one commit)', function () {
  needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);

  it('admits many concurrent copies of many ids: exactly one admitted per id, each caller answered for its own event', async function () {
    const { storage, statements, close } = recorded(uniqueName('ntw_group_'));
    try {
      await storage.init();
      await admitConcurrentCopies(storage);
      assert.ok(batches(statements) > 0, 'admits went in batches');
      await settleConcurrently(storage);
      const settleBatches = new Set(statements.filter((s) => s.text.includes('unnest(') && !s.text.includes('_admit')).map((s) => s.text));
      assert.equal(settleBatches.size, 1, 'settles went in batches, of one statement');
      const before = statements.length;
      assert.deepEqual(await storage.settleMany([{ key: { provider: 'cybersource', id: 'e1' }, owner: 'x', settlement: { status: 'done' } }]), [true]);
      assert.deepEqual(statements.slice(before).map((s) => s.text), [...settleBatches], 'the same statement as settleMany');
    } finally {
      await storage.close();
      await close();
    }
  });

  it('two instances admitting copies of the same ids at once, states changing on shared tokens: each id admitted once, every token counted once', async function () {
    const schema = uniqueName('ntw_group_');
    const a = recorded(schema);
    const b = recorded(schema);
    try {
      await a.storage.init();
      await b.storage.init();
      await admitFromTwoInstances(a.storage, b.storage);
    } finally {
      await a.storage.close();
      await b.storage.close();
      await a.close();
      await b.close().catch(() => undefined); // the schema is dropped once
    }
  });

  it('a key settled twice in one batch of done settles is settled twice, in turn; each caller answered', async function () {
    const { storage, statements, close } = recorded(uniqueName('ntw_group_'));
    try {
      await storage.init();
      const ids = ['d0', 'd1', 'd2', 'd3'];
      for (const id of ids) await storage.admit(record(id), running);
      const done = (id: string) => storage.settle({ provider: 'cybersource', id }, 'o', { status: 'done' });
      const before = statements.length;
      // the first two take both batch slots at once; the rest wait and leave together
      const settled = await Promise.all([done('d0'), done('d1'), done('d2'), done('d3'), done('d2'), done('missing')]);
      assert.deepEqual(settled, [true, true, true, true, true, false]);
      assert.equal(statements.slice(before).filter((s) => s.text.includes('unnest(')).length, 0, 'no batch statement for a batch with a key twice');
      assert.deepEqual((await storage.getHistory({ provider: 'cybersource', id: 'd2' })).attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done'], [1, 'done']]);
      assert.deepEqual((await storage.getHistory({ provider: 'cybersource', id: 'd3' })).attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done']]);
    } finally {
      await storage.close();
      await close();
    }
  });

  batchSizeCases('statement', () => {
    const { storage, statements, close } = recorded(uniqueName('ntw_group_'));
    const batchesFromNow = () => {
      const from = statements.length;
      return () => statements.slice(from).filter((s) => s.text.includes('ntw_admit_v2(')).map((s) => s.rows ?? 1);
    };
    return { storage, batchesFromNow, close };
  });

  it('a batch holding an item the database refuses: that caller alone fails, the others are admitted', async function () {
    const { storage, statements, close } = recorded(uniqueName('ntw_group_'));
    try {
      await storage.init();
      const ids = Array.from({ length: 24 }, (_, n) => `p${n}`);
      // text may not hold NUL: PostgreSQL refuses it (22021), in a batch the whole statement
      const outcomes = await Promise.all(ids.map((id, n) => storage.admit({ ...record(id), body: n === 12 ? '{"a":"\u0000"}' : '{}' }, running)
        .then((a) => a.admitted, (error: { code?: string }) => error.code)));
      assert.deepEqual(outcomes, ids.map((_, n) => (n === 12 ? '22021' : true)));
      assert.ok(statements.some((s) => s.text.includes('unnest(') && s.failed === '22021'), 'a batch failed for it and was sent again item by item');
      await storedAllBut(storage, ids, 12);
    } finally {
      await storage.close();
      await close();
    }
  });

  it('groupCommit: false sends every call on its own; a value that is not a boolean is refused', async function () {
    const { storage, statements, close } = recorded(uniqueName('ntw_group_'), false);
    try {
      await storage.init();
      await admitTwenty(storage);
      assert.equal(batches(statements), 0);
    } finally {
      await storage.close();
      await close();
    }
    assert.throws(() => new PostgresStorage({ connectionString: DATABASE_URL, groupCommit: 'yes' as unknown as boolean }),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });
});
