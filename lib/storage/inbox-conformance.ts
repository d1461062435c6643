import assert from 'node:assert/strict';
import type { Storage } from './storage';
import type { InboxItem, InboxStorage } from './inbox';

type InboxStore = Storage & InboxStorage;

const T0 = Date.UTC(2025, 0, 1);
const at = (ms: number) => new Date(T0 + ms);
const item = (id: string, enqueuedAtMs = 0, provider = 'tokenex'): InboxItem => ({ provider, id, body: `{"n":"${id}"}`, enqueuedAt: at(enqueuedAtMs) });

/**
 * The queue contract of `mode: 'inbox'`, for any `InboxStorage` (mocha). `factory` gives a fresh,
 * empty store each time; the suite calls `init` and `close`. Times are passed in, so no test waits.
 */
export function runInboxConformance(name: string, factory: () => InboxStore | Promise<InboxStore>): void {
  describe(`${name}: inbox conformance`, function () {
    let store: InboxStore;
    beforeEach(async () => {
      store = await factory();
      await store.init?.();
    });
    afterEach(async () => { await store.close?.(); });

    it('enqueues once per provider and id, pending and due at once', async () => {
      assert.equal(await store.enqueue(item('a')), true);
      assert.equal(await store.enqueue(item('a')), false);
      assert.equal(await store.enqueue(item('a', 0, 'ni')), true);
      const entry = await store.getInboxEntry({ provider: 'tokenex', id: 'a' });
      assert.equal(entry?.status, 'pending');
      assert.equal(entry?.attempts, 0);
      assert.equal(entry?.body, '{"n":"a"}');
      assert.equal(entry?.enqueuedAt.getTime(), T0);
      assert.equal(await store.getInboxEntry({ provider: 'tokenex', id: 'none' }), undefined);
    });

    it('leases due entries oldest first, one caller each, and hides them for the lease', async () => {
      await store.enqueue(item('late', 10));
      await store.enqueue(item('early', 0));
      assert.equal(await store.leaseNext('w1', 1000, at(-1)), undefined, 'nothing due before enqueue time');
      const first = await store.leaseNext('w1', 1000, at(20));
      assert.equal(first?.id, 'early');
      assert.equal(first?.attempts, 1);
      assert.equal(first?.nextAttemptAt.getTime(), T0 + 1020);
      assert.equal((await store.leaseNext('w2', 5000, at(20)))?.id, 'late');
      assert.equal(await store.leaseNext('w3', 1000, at(20)), undefined);
      // The lease of a worker that died runs out: the entry is due again, attempts counted.
      const again = await store.leaseNext('w3', 1000, at(1020));
      assert.equal(again?.id, 'early');
      assert.equal(again?.attempts, 2);
    });

    it('gives each entry to exactly one of many concurrent callers', async () => {
      for (let i = 0; i < 20; i++) await store.enqueue(item(`c${i}`, i));
      const leased = await Promise.all(Array.from({ length: 60 }, (_, i) => store.leaseNext(`w${i}`, 60_000, at(100))));
      const ids = leased.flatMap((e) => (e ? [e.id] : []));
      assert.equal(ids.length, 20);
      assert.equal(new Set(ids).size, 20);
    });

    it('markDone ends it; markFailed makes it due later; both only for a pending entry', async () => {
      await store.enqueue(item('d'));
      await store.enqueue(item('f'));
      const d = (await store.leaseNext('w1', 1000, at(0)))!;
      const f = (await store.leaseNext('w2', 1000, at(0)))!;
      await store.markDone(d, 'w1', at(5));
      assert.equal((await store.getInboxEntry(d))?.status, 'done');
      await store.markFailed(f, 'other-owner', at(1), 'ignored');
      assert.equal((await store.getInboxEntry(f))?.lastError, undefined, 'not the lease holder');
      await store.markFailed(f, 'w2', at(500), 'boom');
      const failed = await store.getInboxEntry(f);
      assert.equal(failed?.status, 'pending');
      assert.equal(failed?.lastError, 'boom');
      assert.equal(failed?.nextAttemptAt.getTime(), T0 + 500);
      assert.equal(await store.leaseNext('w3', 1000, at(499)), undefined);
      assert.equal((await store.leaseNext('w3', 1000, at(500)))?.attempts, 2);
      await store.markDone(d, 'w1', at(6));
      assert.equal((await store.getInboxEntry(d))?.status, 'done');
    });

    describe('lease renewal (optional extendLease)', () => {
      beforeEach(function () {
        if (typeof store.extendLease !== 'function') this.skip();
      });

      it('extendLease by the owner keeps the entry from other workers past its original lease end', async () => {
        await store.enqueue(item('slow'));
        const entry = (await store.leaseNext('w1', 1000, at(0)))!;
        assert.equal(await store.extendLease!(entry, 'w1', 1000, at(900)), true);
        assert.equal((await store.getInboxEntry(entry))?.nextAttemptAt.getTime(), T0 + 1900);
        assert.equal(await store.leaseNext('w2', 1000, at(1500)), undefined, 'past the original lease end, still leased');
        assert.equal(await store.extendLease!(entry, 'w1', 1000, at(1800)), true);
        assert.equal(await store.leaseNext('w2', 1000, at(2700)), undefined);
        await store.markDone(entry, 'w1', at(2700));
        assert.equal((await store.getInboxEntry(entry))?.status, 'done');
        assert.equal((await store.getInboxEntry(entry))?.attempts, 1);
      });

      it('extendLease by another owner answers false and changes nothing', async () => {
        await store.enqueue(item('e'));
        const entry = (await store.leaseNext('w1', 1000, at(0)))!;
        assert.equal(await store.extendLease!(entry, 'w2', 60_000, at(500)), false);
        assert.equal(await store.extendLease!({ provider: 'tokenex', id: 'none' }, 'w1', 60_000, at(500)), false);
        assert.equal((await store.getInboxEntry(entry))?.nextAttemptAt.getTime(), T0 + 1000);
        const again = await store.leaseNext('w2', 1000, at(1000));
        assert.equal(again?.id, 'e', 'the original lease end held');
        assert.equal(await store.extendLease!(entry, 'w1', 60_000, at(1500)), false, 'leased again by another worker');
        assert.equal(await store.extendLease!(entry, 'w2', 1000, at(1500)), true);
      });

      it('extendLease answers false after markDone, markFailed and markDead, and changes nothing', async () => {
        for (const id of ['d', 'f', 'x']) await store.enqueue(item(id));
        const d = (await store.leaseNext('w', 1000, at(0)))!;
        const f = (await store.leaseNext('w', 1000, at(0)))!;
        const x = (await store.leaseNext('w', 1000, at(0)))!;
        await store.markDone(d, 'w', at(10));
        await store.markFailed(f, 'w', at(5000), 'boom');
        await store.markDead(x, 'w', 'dead', at(10));
        for (const entry of [d, f, x]) assert.equal(await store.extendLease!(entry, 'w', 60_000, at(20)), false, entry.id);
        assert.equal((await store.getInboxEntry(d))?.status, 'done');
        assert.equal((await store.getInboxEntry(x))?.status, 'dead');
        assert.equal((await store.getInboxEntry(f))?.nextAttemptAt.getTime(), T0 + 5000);
        assert.equal((await store.leaseNext('w2', 1000, at(5000)))?.id, f.id);
      });
    });

    it('dead letters: listed oldest first, never leased, requeued by id (and provider) with attempts reset', async () => {
      await store.enqueue(item('x', 2));
      await store.enqueue(item('y', 1));
      await store.enqueue(item('y', 3, 'ni'));
      for (let i = 0; i < 3; i++) {
        const entry = (await store.leaseNext('w', 1000, at(10)))!;
        await store.markDead(entry, 'w', `dead ${entry.id}`, at(10));
      }
      assert.equal(await store.leaseNext('w', 1000, at(1e9)), undefined);
      const dead = await store.listDeadLetters();
      assert.deepEqual(dead.map((e) => `${e.provider}/${e.id}`), ['tokenex/y', 'tokenex/x', 'ni/y']);
      assert.equal(dead[0]?.status, 'dead');
      assert.equal(dead[0]?.lastError, 'dead y');
      assert.equal((await store.listDeadLetters({ limit: 1 })).length, 1);

      assert.equal(await store.requeue('y', 'ni', at(20)), 1);
      assert.equal(await store.requeue('y', undefined, at(20)), 1, 'the tokenex one; ni/y is pending already');
      assert.equal(await store.requeue('nope', undefined, at(20)), 0);
      const back = await store.getInboxEntry({ provider: 'ni', id: 'y' });
      assert.equal(back?.status, 'pending');
      assert.equal(back?.attempts, 0);
      assert.deepEqual((await store.listDeadLetters()).map((e) => e.id), ['x']);
      const leased = [await store.leaseNext('w', 1000, at(20)), await store.leaseNext('w', 1000, at(20))];
      assert.deepEqual(leased.map((e) => e?.id), ['y', 'y']);
    });

    it('replays a done entry, and prunes done entries enqueued before the cutoff only', async () => {
      await store.enqueue(item('old', 0));
      await store.enqueue(item('new', 5000));
      for (let i = 0; i < 2; i++) {
        const entry = (await store.leaseNext('w', 1000, at(10_000)))!;
        await store.markDone(entry, 'w', at(10_000));
      }
      await store.enqueue(item('pending', 0));
      assert.equal(await store.pruneInbox(at(1000)), 1);
      assert.equal(await store.getInboxEntry({ provider: 'tokenex', id: 'old' }), undefined);
      assert.equal((await store.getInboxEntry({ provider: 'tokenex', id: 'new' }))?.status, 'done');
      assert.equal((await store.getInboxEntry({ provider: 'tokenex', id: 'pending' }))?.status, 'pending');
      assert.equal(await store.requeue('new', 'tokenex', at(30_000)), 1);
      const leased = [await store.leaseNext('w', 1000, at(30_000)), await store.leaseNext('w', 1000, at(30_000))];
      assert.deepEqual(leased.map((e) => e?.id).sort(), ['new', 'pending']);
    });
  });
}
