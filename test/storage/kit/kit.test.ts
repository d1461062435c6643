import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigurationError } from '../../../lib';
import type { EntryRecord } from '../../../lib';
import { ROOT } from '../../helpers/markdown';
import {
  ENTRY_COLUMNS, HISTORY_COLUMNS, LEDGER_COLUMNS, STATE_COLUMNS, admissionOf, closeWithin, latestVersion, maySettle, pendingSteps, project, publicEntry,
  settledEntry, timeoutMsOption,
} from '../../../lib/storage/kit';
import type { MigrationStep } from '../../../lib/storage/kit';
import { SQLITE_MIGRATIONS, migrateSqlite } from '../../../lib/storage/kit/migrations/sqlite';

const NOW = Date.UTC(2026, 0, 1);
const RECORD: EntryRecord = {
  provider: 'p', id: 'e-1', type: 'token.suspended', tokenRef: 'tok', state: 'SUSPENDED', occurredAt: new Date(NOW - 1000),
  receivedAt: new Date(NOW), fingerprint: 'fp', body: '{}',
};
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'returned';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  }
};

describe('storage kit', function () {
  describe('the ledger rules, as an adapter calls them inside its atomic step', function () {
    it('admit, project, settle: a new event taken to run, its state applied, then settled only by its owner (done by anyone)', function () {
      const admission = admissionOf(undefined, RECORD, { as: 'running', owner: 'a', leaseMs: 30_000 }, NOW);
      assert.ok(admission.admitted && admission.taken);
      assert.deepEqual([admission.entry.status, admission.entry.attempts, admission.entry.dueAt.getTime(), admission.entry.owner], ['running', 1, NOW + 30_000, 'a']);
      const { entry, state } = project(admission.entry, undefined, NOW);
      assert.deepEqual([entry.projection, state?.state, state?.eventId], ['changed', 'SUSPENDED', 'e-1']);
      assert.equal('owner' in publicEntry(entry), false, 'callers never see the lease owner');
      const failed = { status: 'failed', error: 'boom', retryInMs: 5000 } as const;
      assert.equal(maySettle(entry, 'b', failed), false);
      assert.equal(maySettle(entry, 'b', { status: 'done' }), true);
      const settled = settledEntry(entry, failed, NOW);
      assert.deepEqual([settled.status, settled.lastError, settled.dueAt.getTime(), settled.owner, settled.projection], ['failed', 'boom', NOW + 5000, undefined, 'changed']);
      const again = admissionOf(settled, RECORD, { as: 'running', owner: 'c', leaseMs: 1000 }, NOW);
      assert.deepEqual([again.admitted, again.entry.attempts, again.entry.owner], [true, 2, 'c']);
    });

    it('a copy with another fingerprint is a counted conflict, and one under a live lease a plain duplicate with nothing to write', function () {
      const stored = admissionOf(undefined, RECORD, { as: 'running', owner: 'a', leaseMs: 30_000 }, NOW).entry;
      const conflict = admissionOf(stored, { ...RECORD, fingerprint: 'other' }, { as: 'running', owner: 'b', leaseMs: 1000 }, NOW);
      assert.ok(!conflict.admitted && conflict.conflict);
      assert.equal(conflict.write?.conflicts, 1);
      const duplicate = admissionOf(stored, RECORD, { as: 'running', owner: 'b', leaseMs: 1000 }, NOW + 1000);
      assert.deepEqual([duplicate.admitted, duplicate.write], [false, undefined]);
    });
  });

  it('the column lists are the SQL tables\' columns, in their order', function () {
    const db = new BetterSqlite3(':memory:');
    try {
      migrateSqlite(db, NOW, ':memory:');
      const columns = (table: string) => (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      assert.deepEqual(columns('ntw_ledger'), [...LEDGER_COLUMNS, ...HISTORY_COLUMNS]);
      assert.deepEqual(columns('ntw_token_states'), [...STATE_COLUMNS]);
      assert.deepEqual(ENTRY_COLUMNS, LEDGER_COLUMNS.filter((c) => c !== 'owner'));
    } finally {
      db.close();
    }
  });

  describe('option helpers', function () {
    it('timeoutMsOption: the default when absent; a positive number (or 0 when allowed); anything else ERR_NTW_OPTION naming the adapter', function () {
      assert.equal(timeoutMsOption('MyStorage', undefined, 4000), 4000);
      assert.equal(timeoutMsOption('MyStorage', 250, 4000), 250);
      assert.equal(timeoutMsOption('MyStorage', 0, 4000, { allowZero: true }), 0);
      for (const value of [0, -1, Number.NaN, Infinity, '100']) {
        assert.throws(() => timeoutMsOption('MyStorage', value, 4000), (error: unknown) => error instanceof ConfigurationError
          && error.code === 'ERR_NTW_OPTION' && error.message.startsWith('MyStorage timeoutMs must be a positive number'), String(value));
      }
      assert.throws(() => timeoutMsOption('MyStorage', -1, 4000, { allowZero: true }), /MyStorage timeoutMs must be a number of milliseconds, 0 or more/);
    });

    it('closeWithin: true when closing resolves in time; false when it rejects, answers false, or never ends', async function () {
      assert.equal(await closeWithin(Promise.resolve('OK'), 60_000), true);
      assert.equal(await closeWithin(Promise.reject(new Error('reset')), 60_000), false);
      assert.equal(await closeWithin(Promise.resolve(false), 60_000), false);
      assert.equal(await closeWithin(new Promise(() => undefined), 1), false);
    });
  });

  describe('migrations', function () {
    const steps: MigrationStep<() => void>[] = [
      { version: 1, name: 'first', apply: () => undefined },
      { version: 2, name: 'second', apply: () => undefined },
    ];

    it('pendingSteps: the steps a store lacks, in order; refuses a newer store, and a store behind when verifying', function () {
      assert.deepEqual(pendingSteps(steps, 0, 'x').map((s) => s.name), ['first', 'second']);
      assert.deepEqual(pendingSteps(steps, 1, 'x').map((s) => s.name), ['second']);
      assert.deepEqual(pendingSteps(steps, 2, 'x', { howToApply: 'run it' }), []);
      assert.equal(code(() => pendingSteps(steps, 3, 'x')), 'ERR_NTW_SCHEMA_NEWER');
      assert.throws(() => pendingSteps(steps, 1, 'the file x', { howToApply: 'my-cli migrate' }), (error: unknown) => error instanceof ConfigurationError
        && error.code === 'ERR_NTW_SCHEMA_BEHIND' && /the storage \(the file x\) is at schema version 1; this release needs 2: .*\(my-cli migrate\)/.test(error.message));
    });

    it('latestVersion: the last step\'s, and the steps must be numbered 1, 2, 3, …', function () {
      assert.equal(latestVersion(steps), 2);
      assert.equal(latestVersion(SQLITE_MIGRATIONS), 3);
      assert.match(code(() => latestVersion([steps[0]!, { ...steps[1]!, version: 3 }])), /"second" is numbered 3; expected 2/);
    });

    it('each store\'s steps are numbered files, and the schema they create carries no history notes', function () {
      const dir = join(ROOT, 'lib', 'storage', 'kit', 'migrations');
      for (const store of ['postgres', 'sqlite', 'redis']) {
        const files = readdirSync(join(dir, store)).filter((f) => /^\d{3}-/.test(f)).sort();
        assert.deepEqual(files.map((f) => Number(f.slice(0, 3))), store === 'postgres' ? [1, 2, 3, 4] : [1, 2, 3], store);
        const ledger = readFileSync(join(dir, store, files[0]!), 'utf8');
        assert.doesNotMatch(ledger, /\b0\.\d\b|rolling upgrade|earlier version/, `${store}: ${files[0]}`);
      }
    });
  });
});
