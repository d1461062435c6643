import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TokenState } from '../../../events';
import type { Entry } from '../../storage';
import type { ConformanceGroup, GroupSpec } from './harness';
import { conformanceGroup } from './harness';
import { T0, provider, record, keyOf, run, taken } from './fixtures';

export const TOKEN_STATE: GroupSpec = {
  title: 'token state',
  register(s) {
    /** Take an entry of token `tok` with `state` at T0 + `seconds`: its state is applied then. */
    const takeWith = async (p: string, state: TokenState, seconds: number, id: string = randomUUID(), owner = 'o') => {
      const r = record({ provider: p, id, tokenRef: 'tok', state, occurredAt: new Date(T0 + seconds * 1000) });
      return taken(await s.storage.admit(r, run(owner)));
    };
    const outcome = (e: Entry) => (e.projection === 'stale' ? `stale:${e.staleReason}` : e.projection);

    s.test('first, newer and equal-time states apply; the same state again is a repeat; older is out_of_order', async () => {
      const p = provider();
      assert.equal(outcome(await takeWith(p, 'ACTIVE', 10)), 'changed');
      const suspended = await takeWith(p, 'SUSPENDED', 20);
      assert.equal(outcome(suspended), 'changed');
      assert.equal(outcome(await takeWith(p, 'SUSPENDED', 30)), 'repeated');
      assert.equal(outcome(await takeWith(p, 'SUSPENDED', 25)), 'stale:out_of_order', 'older than the repeat that moved the time on');
      const state = await s.storage.getTokenState(p, 'tok');
      assert.deepEqual([state?.state, state?.eventId, state?.occurredAt.getTime()], ['SUSPENDED', suspended.id, T0 + 30_000],
        'a repeat keeps the event that set the state and moves its time');
      assert.equal(outcome(await takeWith(p, 'ACTIVE', 30)), 'changed', 'equal times apply');
      assert.equal((await s.storage.getTokenState(p, 'tok'))?.state, 'ACTIVE');
    });

    s.test('runs the event that set the state again as a change (a redelivery after a failure), without moving time back', async () => {
      const p = provider();
      const first = await takeWith(p, 'SUSPENDED', 10, randomUUID(), 'first-owner');
      assert.equal(await s.storage.settle(keyOf(first), 'first-owner', { status: 'failed', error: 'x', retryInMs: 0 }), true);
      assert.equal(outcome(await takeWith(p, 'SUSPENDED', 20)), 'repeated');
      const again = await takeWith(p, 'SUSPENDED', 10, first.id);
      assert.deepEqual([outcome(again), again.attempts], ['changed', 2]);
      assert.equal((await s.storage.getTokenState(p, 'tok'))?.occurredAt.getTime(), T0 + 20_000);
    });

    s.test('never leaves DELETED, except for DELETED again', async () => {
      const p = provider();
      assert.equal(outcome(await takeWith(p, 'DELETED', 10)), 'changed');
      assert.equal(outcome(await takeWith(p, 'ACTIVE', 99)), 'stale:after_deleted');
      assert.equal(outcome(await takeWith(p, 'DELETED', 50)), 'repeated');
      assert.equal((await s.storage.getTokenState(p, 'tok'))?.state, 'DELETED');
    });

    s.test('keeps tokens apart by provider and tokenRef, and ends at the newest of 50 concurrent events', async () => {
      const p = provider();
      const states: TokenState[] = ['ACTIVE', 'SUSPENDED'];
      const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => takeWith(p, states[i % 2]!, i)));
      const final = await s.storage.getTokenState(p, 'tok');
      assert.deepEqual([final?.state, final?.occurredAt.getTime()], ['SUSPENDED', T0 + 49_000]);
      assert.ok(entries.some((e) => e.id === final?.eventId && e.state === 'SUSPENDED'));
      assert.equal(await s.storage.getTokenState(p, 'other'), undefined);
      assert.equal(await s.storage.getTokenState(provider(), 'tok'), undefined);
    });
  },
};

/** The token-state rule (`decideProjection`) through `admit`: changed, repeated, out of order, after `DELETED`, the event
 * that set the state run again, tokens kept apart, 50 concurrent writers ending at the newest. */
export const tokenStateConformance: ConformanceGroup = conformanceGroup(TOKEN_STATE);
