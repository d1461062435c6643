import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HISTORY_MAX } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { DAY, LONG, provider, record, keyOf, run, taken } from './fixtures';

export const HISTORY: GroupSpec = {
  title: 'history (attempt log and copies)',
  register(s) {
    const needsHistory = () => { if (!s.storage.getHistory) s.skip('the store has no getHistory()'); };
    const history = async (key: { provider: string; id: string }) => s.storage.getHistory!(key);
    const outcomes = async (key: { provider: string; id: string }) =>
      (await history(key)).attempts.map((a) => [a.attempt, a.outcome, a.error]);

    s.test('logs each settled run with its attempt, outcome and error, and keeps the log across a replay', async () => {
      needsHistory();
      const r = record();
      const before = Date.now();
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'failed', error: 'downstream 503 "quoted" ünï', retryInMs: 0 }), true);
      taken(await s.storage.admit(r, run('b')));
      assert.equal(await s.storage.settle(keyOf(r), 'b', { status: 'dead', error: 'gave up' }), true);
      assert.deepEqual(await s.storage.requeue(r.id, r.provider), [keyOf(r)]);
      assert.equal((await s.storage.lease('c', LONG, keyOf(r)))?.attempts, 1);
      assert.equal(await s.storage.settle(keyOf(r), 'c', { status: 'done' }), true);
      assert.deepEqual(await outcomes(keyOf(r)), [
        [1, 'failed', 'downstream 503 "quoted" ünï'], [2, 'dead', 'gave up'], [2, 'requeued', undefined], [1, 'done', undefined],
      ]);
      const { attempts } = await history(keyOf(r));
      for (const a of attempts) {
        assert.ok(a.at instanceof Date && a.at.getTime() >= before - DAY && a.at.getTime() <= Date.now() + DAY, `a time near now: ${a.at.toISOString()}`);
      }
      assert.ok(attempts.every((a, i) => i === 0 || a.at >= attempts[i - 1]!.at), 'oldest first');
      assert.equal('error' in attempts[3]!, false);
    });

    s.test('logs nothing for a settlement it did not record, nor for an entry that is not there', async () => {
      needsHistory();
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'intruder', { status: 'failed', error: 'x', retryInMs: 0 }), false);
      assert.deepEqual(await history(keyOf(r)), { attempts: [], copies: [] });
      assert.equal(await s.storage.settle({ provider: provider(), id: 'missing' }, 'a', { status: 'done' }), false);
      assert.deepEqual(await history({ provider: provider(), id: 'missing' }), { attempts: [], copies: [] });
    });

    s.test(`keeps the newest ${HISTORY_MAX} attempts and copies of an entry`, async () => {
      needsHistory();
      const r = record();
      for (let i = 1; i <= HISTORY_MAX + 2; i++) {
        taken(await s.storage.admit(r, run(`o${i}`)));
        assert.equal(await s.storage.settle(keyOf(r), `o${i}`, { status: 'failed', error: `run ${i}`, retryInMs: 0 }), true);
      }
      const { attempts, copies } = await history(keyOf(r));
      assert.equal(attempts.length, HISTORY_MAX);
      assert.deepEqual([attempts[0]!.attempt, attempts[0]!.error, attempts.at(-1)!.attempt], [3, 'run 3', HISTORY_MAX + 2]);
      assert.equal(copies.length, HISTORY_MAX, 'every admission after the first is a copy');
    });

    s.test('records each later copy of an id with its fingerprint: duplicates, retries and conflicting copies', async () => {
      needsHistory();
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      assert.deepEqual(await history(keyOf(r)), { attempts: [], copies: [] }, 'the first delivery is the entry itself');
      assert.equal((await s.storage.admit(r, run('b'))).admitted, false);
      await s.storage.settle(keyOf(r), 'a', { status: 'failed', error: 'x', retryInMs: 0 });
      taken(await s.storage.admit(r, run('c')));
      const conflicting = await s.storage.admit({ ...r, fingerprint: 'fp-other' }, { as: 'pending' });
      assert.equal(conflicting.admitted ? undefined : conflicting.conflict, true);
      const { copies } = await history(keyOf(r));
      assert.deepEqual(copies.map((c) => c.fingerprint), ['fp-1', 'fp-1', 'fp-other']);
      assert.ok(copies.every((c) => c.at instanceof Date && !Number.isNaN(c.at.getTime())));
      assert.deepEqual(await history({ ...keyOf(r), provider: provider() }), { attempts: [], copies: [] }, 'by provider and id together');
    });

    s.test('forgets the history of a pruned entry', async () => {
      needsHistory();
      const old = new Date(Date.UTC(2004, 0, 1) + Math.floor(Math.random() * 1e9));
      const r = record({ id: randomUUID(), receivedAt: old });
      taken(await s.storage.admit(r, run('a')));
      await s.storage.admit(r, run('b'));
      await s.storage.settle(keyOf(r), 'a', { status: 'done' });
      assert.equal((await history(keyOf(r))).attempts.length, 1);
      await s.storage.prune(new Date(old.getTime() + 1));
      assert.equal(await s.storage.getEntry(keyOf(r)), undefined);
      taken(await s.storage.admit(r, run('c')));
      assert.deepEqual(await history(keyOf(r)), { attempts: [], copies: [] }, 'an entry stored again starts with no history');
    });
  },
};

/** `getHistory`, for a store that has it (skipped without): each recorded settlement and replay in the attempt log, kept
 * across replays; each later copy of an id with its fingerprint; the newest `HISTORY_MAX` of each; forgotten with the entry. */
export const historyConformance: ConformanceGroup = conformanceGroup(HISTORY);
