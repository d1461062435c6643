import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Entry } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { LONG, T0, provider, record, keyOf, run, taken, until } from './fixtures';

export const ADMIT: GroupSpec = {
  title: 'admit',
  register(s) {
    s.test('stores a new entry to run now, with every record field as given', async () => {
      const r = record({ state: 'SUSPENDED', type: 'token.suspended' });
      const entry = taken(await s.storage.admit(r, run('a')));
      assert.deepEqual(
        { ...entry, dueAt: undefined },
        { ...r, status: 'running', attempts: 1, conflicts: 0, projection: 'changed', dueAt: undefined },
      );
      assert.deepEqual(await s.storage.getEntry(keyOf(r)), entry);
    });

    s.test('keeps a record without a state, and queues (pending) or quarantines as asked', async () => {
      const bare = record({ type: 'token.updated', state: undefined, tokenRef: '' });
      delete (bare as { state?: unknown }).state;
      const queued = taken(await s.storage.admit(bare, { as: 'pending' }));
      assert.equal(queued.status, 'pending');
      assert.equal(queued.attempts, 0);
      assert.equal('state' in queued, false);
      const odd = record({ type: 'unreadable' });
      const quarantined = taken(await s.storage.admit(odd, { as: 'quarantined', error: 'schema_violation: /payload' }));
      assert.equal(quarantined.status, 'quarantined');
      assert.equal(quarantined.lastError, 'schema_violation: /payload');
    });

    s.test('gives exactly one of 100 concurrent admissions of one id the run', async () => {
      const r = record();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => s.storage.admit(r, run(`owner-${i}`))));
      assert.equal(results.filter((a) => a.admitted).length, 1);
      assert.ok(results.every((a) => a.entry.status === 'running' && a.entry.attempts === 1));
    });

    s.test('keys entries by provider and id together', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      taken(await s.storage.admit({ ...r, provider: provider() }, run('a')));
      taken(await s.storage.admit({ ...r, id: randomUUID() }, run('a')));
    });

    s.test('answers a copy of a done entry with the entry, and counts a copy with another fingerprint as a conflict', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'done' }), true);
      const again = await s.storage.admit(r, run('b'));
      assert.deepEqual([again.admitted, again.admitted ? undefined : again.conflict, again.entry.status], [false, false, 'done']);
      const other = await s.storage.admit({ ...r, fingerprint: 'fp-2', tokenRef: 'tok-2' }, run('b'));
      assert.deepEqual([other.admitted, other.admitted ? undefined : other.conflict], [false, true]);
      const stored = await s.storage.getEntry(keyOf(r));
      assert.deepEqual([stored?.conflicts, stored?.fingerprint, stored?.tokenRef, stored?.status], [1, 'fp-1', 'tok-1', 'done']);
      assert.equal((await s.storage.admit({ ...r, fingerprint: 'fp-3' }, { as: 'pending' })).entry.conflicts, 2);
    });

    s.test('answers any copy of an entry stored without a fingerprint (carried over from 0.1) as a duplicate, never a conflict', async () => {
      const r = { ...record(), fingerprint: '' };
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'done' }), true);
      const copy = await s.storage.admit({ ...r, fingerprint: 'fp-now' }, run('b'));
      assert.deepEqual([copy.admitted, copy.admitted ? undefined : copy.conflict, copy.entry.status, copy.entry.conflicts], [false, false, 'done', 0]);
    });

    s.test('answers a copy of an entry running under a live lease without taking it', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      const copy = await s.storage.admit(r, run('b'));
      assert.deepEqual([copy.admitted, copy.entry.status], [false, 'running']);
      const queued = await s.storage.admit(r, { as: 'pending' });
      assert.equal(queued.admitted, false);
    });

    s.test('takes again an entry whose run failed, or died (lease expired), counting attempts', async () => {
      const r = record();
      taken(await s.storage.admit(r, run('a')));
      assert.equal(await s.storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG }), true);
      const second = taken(await s.storage.admit(r, run('b', 50)));
      assert.deepEqual([second.status, second.attempts, second.lastError], ['running', 2, 'boom']);
      let third: Entry | undefined;
      await until(async () => {
        const a = await s.storage.admit(r, run('c'));
        if (a.admitted) third = a.entry;
        return a.admitted;
      }, s.expiryWaitMs, 'lease expiry');
      assert.equal(third?.attempts, 3);
      assert.equal(await s.storage.settle(keyOf(r), 'b', { status: 'failed', error: 'late', retryInMs: 0 }), false,
        'an owner that lost its lease settles nothing');
    });

    s.test('applies the state of an entry it takes, not of one it queues or quarantines', async () => {
      const p = provider();
      const queued = record({ provider: p, tokenRef: 'tok' });
      const entry = taken(await s.storage.admit(queued, { as: 'pending' }));
      assert.equal(entry.projection, undefined);
      assert.equal(await s.storage.getTokenState(p, 'tok'), undefined);
      taken(await s.storage.admit(record({ provider: p, tokenRef: 'tok', type: 'unreadable' }), { as: 'quarantined', error: 'x' }));
      assert.equal(await s.storage.getTokenState(p, 'tok'), undefined);
      const running = record({ provider: p, tokenRef: 'tok', state: 'SUSPENDED' });
      taken(await s.storage.admit(running, run('a')));
      const state = await s.storage.getTokenState(p, 'tok');
      assert.deepEqual(state && { ...state, updatedAt: undefined },
        { provider: p, tokenRef: 'tok', state: 'SUSPENDED', occurredAt: new Date(T0), eventId: running.id, updatedAt: undefined });
      assert.ok(state!.updatedAt instanceof Date && !Number.isNaN(state!.updatedAt.getTime()));
      const leased = await s.storage.lease('w', LONG, keyOf(queued));
      assert.equal(leased?.projection, 'changed', 'leasing applies the state too (equal times apply)');
      assert.equal((await s.storage.getTokenState(p, 'tok'))?.state, 'ACTIVE');
    });
  },
};

/** `admit`: every record field round-trips; one run among 100 concurrent admissions of an id; keys by provider and id
 * together; duplicates, conflicts (counted; none for an entry stored without a fingerprint), live and expired leases, failed
 * runs taken again; the state applied only to an entry taken to run. */
export const admitConformance: ConformanceGroup = conformanceGroup(ADMIT);
