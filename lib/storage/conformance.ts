import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'mocha';
import type { TokenState } from '../events';
import type { EventKey, StateChange, Storage, StoredEvent } from './storage';

export interface ConformanceOptions {
  /**
   * The store keeps its data in a database: the suite then checks that what one instance wrote,
   * a new instance from `factory` reads after `close()`. `factory` must return instances on the same database.
   */
  readonly persistent?: boolean;
  /** Upper bound, in ms, on waiting for a short lease to expire. Default 10000. */
  readonly expiryWaitMs?: number;
}

const LONG_LEASE = 60_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function open(factory: () => Storage | Promise<Storage>): Promise<Storage> {
  const storage = await factory();
  await storage.init?.();
  return storage;
}

/** Claim until `owner` wins, for at most `boundMs`: a short lease expires by the store's own clock. */
async function claimWhenExpired(storage: Storage, key: EventKey, owner: string, boundMs: number): Promise<number> {
  const start = Date.now();
  for (let attempts = 1; ; attempts++) {
    const result = await storage.claim(key, owner, LONG_LEASE);
    if (result === 'claimed') return attempts;
    assert.equal(result, 'in_progress');
    if (Date.now() - start > boundMs) assert.fail(`the lease did not expire within ${boundMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Register the storage contract as mocha tests: every adapter, yours included, runs the same suite.
 * Each test writes under its own random provider name, so a shared database is fine.
 *
 * ```ts
 * import { runStorageConformance } from 'network-token-webhooks/testing';
 * runStorageConformance('MyStorage', () => new MyStorage(...), { persistent: true });
 * ```
 */
export function runStorageConformance(
  name: string,
  factory: () => Storage | Promise<Storage>,
  options: ConformanceOptions = {},
): void {
  describe(`storage conformance: ${name}`, function () {
    let storage: Storage;
    const provider = () => `p-${randomUUID()}`;
    const key = (): EventKey => ({ provider: provider(), id: randomUUID() });

    before(async function () {
      storage = await open(factory);
    });
    after(async function () {
      await storage?.close?.();
    });

    describe('claims', function () {
      it('lets the first claim win and answers in_progress to another owner while the lease holds', async function () {
        const k = key();
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'claimed');
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'in_progress');
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'in_progress');
      });

      it('gives exactly one of 100 concurrent claims of one id the win', async function () {
        const k = key();
        const results = await Promise.all(Array.from({ length: 100 }, (_, i) => storage.claim(k, `owner-${i}`, LONG_LEASE)));
        assert.equal(results.filter((r) => r === 'claimed').length, 1);
        assert.equal(results.filter((r) => r === 'in_progress').length, 99);
      });

      it('keys claims by provider and id together', async function () {
        const id = randomUUID();
        assert.equal(await storage.claim({ provider: provider(), id }, 'a', LONG_LEASE), 'claimed');
        assert.equal(await storage.claim({ provider: provider(), id }, 'a', LONG_LEASE), 'claimed');
      });

      it('answers processed after complete, to everyone, and ignores a later release', async function () {
        const k = key();
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'claimed');
        await storage.complete(k, 'a');
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'processed');
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'processed');
        await storage.release(k, 'a');
        assert.equal(await storage.claim(k, 'c', LONG_LEASE), 'processed');
      });

      it('lets the next owner claim after release; a release by another owner is a no-op', async function () {
        const k = key();
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'claimed');
        await storage.release(k, 'not-the-owner');
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'in_progress');
        await storage.release(k, 'a');
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'claimed');
        assert.equal(await storage.claim(k, 'a', LONG_LEASE), 'in_progress');
      });

      it('lets a new claim win once a lease expires; the old owner can then no longer release it', async function () {
        const k = key();
        assert.equal(await storage.claim(k, 'a', 50), 'claimed');
        await claimWhenExpired(storage, k, 'b', options.expiryWaitMs ?? 10_000);
        await storage.release(k, 'a');
        assert.equal(await storage.claim(k, 'c', LONG_LEASE), 'in_progress');
      });

      it('lets a new owner claim a lease that expired, under concurrency: one winner', async function () {
        const k = key();
        assert.equal(await storage.claim(k, 'a', 50), 'claimed');
        await claimWhenExpired(storage, k, 'probe', options.expiryWaitMs ?? 10_000);
        await storage.release(k, 'probe');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => storage.claim(k, `o${i}`, LONG_LEASE)));
        assert.equal(results.filter((r) => r === 'claimed').length, 1);
      });
    });

    describe('lease renewal (optional extend)', function () {
      const SHORT = 200;
      const expiryWait = () => options.expiryWaitMs ?? 10_000;
      beforeEach(function () {
        if (typeof storage.extend !== 'function') this.skip();
      });

      it('extend by the owner keeps a short lease alive past its original expiry', async function () {
        // The extend must land within SHORT ms of the claim. A stalled store can miss that window: set the
        // scenario up again (at most 3 times) rather than fail; an extend that never works still fails every time.
        let k = key();
        let marker = key();
        let extended = false;
        for (let attempt = 0; attempt < 3 && !extended; attempt++) {
          k = key();
          marker = key();
          assert.equal(await storage.claim(k, 'a', SHORT), 'claimed');
          // Claimed after k with the same lease: once the marker has expired by the store's clock, so has k's original lease.
          assert.equal(await storage.claim(marker, 'a', SHORT), 'claimed');
          extended = await storage.extend!(k, 'a', LONG_LEASE);
        }
        assert.equal(extended, true, 'extend by the owner of an unexpired claim');
        await claimWhenExpired(storage, marker, 'probe', expiryWait());
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'in_progress');
        assert.equal(await storage.extend!(k, 'a', LONG_LEASE), true, 'the owner still holds it');
        await storage.complete(k, 'a');
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'processed');
      });

      it('extend by another owner answers false and changes nothing', async function () {
        const k = key();
        const marker = key();
        assert.equal(await storage.extend!(k, 'a', LONG_LEASE), false, 'no claim at all');
        assert.equal(await storage.claim(k, 'a', SHORT), 'claimed');
        assert.equal(await storage.claim(marker, 'a', SHORT), 'claimed');
        assert.equal(await storage.extend!(k, 'b', LONG_LEASE), false);
        await claimWhenExpired(storage, marker, 'probe', expiryWait());
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'claimed', 'the lease kept its original expiry');
      });

      it('extend answers false once the lease expired, and does not revive it', async function () {
        const k = key();
        const marker = key();
        assert.equal(await storage.claim(k, 'a', 50), 'claimed');
        assert.equal(await storage.claim(marker, 'a', 50), 'claimed');
        await claimWhenExpired(storage, marker, 'probe', expiryWait());
        assert.equal(await storage.extend!(k, 'a', LONG_LEASE), false);
        assert.equal(await storage.claim(k, 'b', LONG_LEASE), 'claimed');
        assert.equal(await storage.extend!(k, 'a', LONG_LEASE), false, 'taken by another owner');
        assert.equal(await storage.claim(k, 'c', LONG_LEASE), 'in_progress');
        assert.equal(await storage.extend!(k, 'b', LONG_LEASE), true);
      });

      it('extend after complete or release answers false and changes nothing', async function () {
        const done = key();
        assert.equal(await storage.claim(done, 'a', LONG_LEASE), 'claimed');
        await storage.complete(done, 'a');
        assert.equal(await storage.extend!(done, 'a', LONG_LEASE), false);
        assert.equal(await storage.claim(done, 'b', LONG_LEASE), 'processed');
        const released = key();
        assert.equal(await storage.claim(released, 'a', LONG_LEASE), 'claimed');
        await storage.release(released, 'a');
        assert.equal(await storage.extend!(released, 'a', LONG_LEASE), false);
        assert.equal(await storage.claim(released, 'b', LONG_LEASE), 'claimed');
      });
    });

    describe('event log', function () {
      const event = (p: string, overrides: Partial<StoredEvent> = {}): StoredEvent => ({
        provider: p, id: randomUUID(), type: 'token.active', tokenRef: 'tok-1', state: 'ACTIVE',
        occurredAt: new Date('2025-07-03T09:58:09.000Z'), receivedAt: new Date('2025-07-03T09:58:10.123Z'),
        stale: false, payload: { a: 1, nested: { list: [1, 'two', null, true], text: 'ünï\u2028' } }, ...overrides,
      });

      it('stores an event and returns every field as saved', async function () {
        const p = provider();
        const full = event(p, { stale: true, staleReason: 'out_of_order' });
        const bare: StoredEvent = {
          provider: p, id: randomUUID(), type: 'token.updated', tokenRef: 'tok-1',
          occurredAt: new Date('2025-07-03T10:00:00.001Z'), receivedAt: new Date('2025-07-03T10:00:01.002Z'), stale: false, payload: null,
        };
        await storage.saveEvent(full);
        await storage.saveEvent(bare);
        assert.deepEqual(await storage.listEvents({ provider: p }), [full, bare]);
      });

      it('replaces the entry of the same provider and id', async function () {
        const p = provider();
        const first = event(p, { tokenRef: 'old-token' });
        const second = { ...first, tokenRef: 'new-token', stale: true, staleReason: 'after_deleted' as const, payload: { v: 2 } };
        await storage.saveEvent(first);
        await storage.saveEvent(second);
        assert.deepEqual(await storage.listEvents({ provider: p }), [second]);
        assert.deepEqual(await storage.listEvents({ provider: p, tokenRef: 'old-token' }), []);
        assert.deepEqual(await storage.listEvents({ provider: p, tokenRef: 'new-token' }), [second]);
      });

      it('queries by token and by time (since inclusive, until exclusive), oldest first, with a limit', async function () {
        const p = provider();
        const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
        const events = [3, 1, 4, 2, 5].map((s) => event(p, { receivedAt: at(s), tokenRef: s % 2 ? 'odd' : 'even' }));
        for (const e of events) await storage.saveEvent(e);
        const seconds = (list: StoredEvent[]) => list.map((e) => e.receivedAt.getUTCSeconds());
        assert.deepEqual(seconds(await storage.listEvents({ provider: p })), [1, 2, 3, 4, 5]);
        assert.deepEqual(seconds(await storage.listEvents({ provider: p, tokenRef: 'odd' })), [1, 3, 5]);
        assert.deepEqual(seconds(await storage.listEvents({ provider: p, since: at(2), until: at(4) })), [2, 3]);
        assert.deepEqual(seconds(await storage.listEvents({ provider: p, tokenRef: 'odd', since: at(3) })), [3, 5]);
        assert.deepEqual(seconds(await storage.listEvents({ provider: p, limit: 2 })), [1, 2]);
        assert.deepEqual(await storage.listEvents({ provider: p, tokenRef: 'none' }), []);
      });

      it('queries by time across providers', async function () {
        const p1 = provider();
        const p2 = provider();
        const since = new Date(Date.UTC(2001, 0, 1, 0, 0, 0, 0) + Math.floor(Math.random() * 1e9));
        const a = event(p1, { receivedAt: new Date(since.getTime() + 1) });
        const b = event(p2, { receivedAt: new Date(since.getTime() + 2) });
        await storage.saveEvent(b);
        await storage.saveEvent(a);
        const found = await storage.listEvents({ since, until: new Date(since.getTime() + 3) });
        assert.deepEqual(found.map((e) => e.id), [a.id, b.id]);
      });

      it('returns at most 100 events by default', async function () {
        const p = provider();
        for (let i = 0; i < 101; i++) await storage.saveEvent(event(p, { receivedAt: new Date(Date.UTC(2025, 0, 1) + i) }));
        const found = await storage.listEvents({ provider: p });
        assert.equal(found.length, 100);
        assert.equal(found[99]!.receivedAt.getTime(), Date.UTC(2025, 0, 1) + 99);
      });
    });

    describe('token state', function () {
      const T0 = Date.UTC(2025, 6, 3, 9, 0, 0);
      const change = (p: string, state: TokenState, seconds: number, eventId: string = randomUUID()): StateChange => ({
        provider: p, tokenRef: 'tok', state, occurredAt: new Date(T0 + seconds * 1000), eventId,
      });
      const project = async (c: StateChange) => storage.applyTokenState(c);

      it('answers undefined for an unknown token and records the first state', async function () {
        const p = provider();
        assert.equal(await storage.getTokenState(p, 'tok'), undefined);
        const c = change(p, 'ACTIVE', 10);
        const result = await project(c);
        assert.equal(result.applied, true);
        assert.equal(result.staleReason, undefined);
        const stored = await storage.getTokenState(p, 'tok');
        assert.ok(stored);
        assert.deepEqual({ ...stored, updatedAt: undefined }, { ...c, updatedAt: undefined });
        assert.ok(stored.updatedAt instanceof Date && !Number.isNaN(stored.updatedAt.getTime()));
        assert.deepEqual(result.current, stored);
      });

      it('applies newer and equal-time events, ignores older ones as out_of_order', async function () {
        const p = provider();
        await project(change(p, 'ACTIVE', 10));
        assert.equal((await project(change(p, 'SUSPENDED', 20))).applied, true);
        const older = await project(change(p, 'ACTIVE', 15));
        assert.equal(older.applied, false);
        assert.equal(older.staleReason, 'out_of_order');
        assert.equal(older.current.state, 'SUSPENDED');
        assert.equal(older.current.occurredAt.getTime(), T0 + 20_000);
        const equal = await project(change(p, 'ACTIVE', 20));
        assert.equal(equal.applied, true);
        assert.equal((await storage.getTokenState(p, 'tok'))?.state, 'ACTIVE');
      });

      it('re-applies the same event id even when a later arrival is older', async function () {
        const p = provider();
        const c = change(p, 'SUSPENDED', 30);
        await project(c);
        const again = await project({ ...c, occurredAt: new Date(T0) });
        assert.equal(again.applied, true);
        assert.equal(again.current.occurredAt.getTime(), T0);
      });

      it('never leaves DELETED: a later revival is after_deleted, a later DELETED applies', async function () {
        const p = provider();
        await project(change(p, 'ACTIVE', 10));
        assert.equal((await project(change(p, 'DELETED', 20))).applied, true);
        const revive = await project(change(p, 'ACTIVE', 30));
        assert.deepEqual([revive.applied, revive.staleReason, revive.current.state], [false, 'after_deleted', 'DELETED']);
        const older = await project(change(p, 'SUSPENDED', 5));
        assert.deepEqual([older.applied, older.staleReason], [false, 'after_deleted']);
        assert.equal((await project(change(p, 'DELETED', 40))).applied, true);
        assert.equal((await storage.getTokenState(p, 'tok'))?.occurredAt.getTime(), T0 + 40_000);
      });

      it('keeps tokens apart by provider and tokenRef', async function () {
        const p = provider();
        await project(change(p, 'DELETED', 10));
        await project({ ...change(p, 'ACTIVE', 20), tokenRef: 'other' });
        await project({ ...change(provider(), 'ACTIVE', 20) });
        assert.equal((await storage.getTokenState(p, 'tok'))?.state, 'DELETED');
        assert.equal((await storage.getTokenState(p, 'other'))?.state, 'ACTIVE');
      });

      it('does not regress under 50 concurrent writers: the newest event wins', async function () {
        const p = provider();
        const seconds = Array.from({ length: 50 }, (_, i) => (i * 37) % 50); // a permutation of 0..49
        const states: TokenState[] = ['ACTIVE', 'SUSPENDED'];
        const results = await Promise.all(seconds.map((s) => project(change(p, states[s % 2]!, s, `e${s}`))));
        const final = await storage.getTokenState(p, 'tok');
        assert.equal(final?.eventId, 'e49');
        assert.equal(final?.occurredAt.getTime(), T0 + 49_000);
        assert.ok(results.every((r) => r.applied || r.staleReason === 'out_of_order'));
        assert.ok(results.every((r) => r.current.occurredAt.getTime() >= T0));
      });
    });

    describe('retention', function () {
      it('prunes processed claims completed before the cutoff, and no others', async function () {
        const done = key();
        const running = key();
        await storage.claim(done, 'a', LONG_LEASE);
        await storage.complete(done, 'a');
        await storage.claim(running, 'a', 10 * MINUTE);
        // The store's clock may differ from this one; a minute either way covers it.
        await storage.prune(new Date(Date.now() - MINUTE));
        assert.equal(await storage.claim(done, 'b', LONG_LEASE), 'processed');
        const pruned = await storage.prune(new Date(Date.now() + MINUTE));
        assert.ok(pruned.claims >= 1, `pruned ${pruned.claims} claims`);
        assert.equal(await storage.claim(running, 'b', LONG_LEASE), 'in_progress');
        assert.equal(await storage.claim(done, 'b', LONG_LEASE), 'claimed');
      });

      it('prunes events received before the cutoff and keeps newer ones and token states', async function () {
        const p = provider();
        const now = Date.now();
        const base = { provider: p, type: 'token.active' as const, tokenRef: 't', occurredAt: new Date(now), stale: false, payload: {} };
        const old = { ...base, id: randomUUID(), receivedAt: new Date(now - 8 * DAY) };
        const edge = { ...base, id: randomUUID(), receivedAt: new Date(now - 7 * DAY) };
        const fresh = { ...base, id: randomUUID(), receivedAt: new Date(now - DAY) };
        for (const e of [old, edge, fresh]) await storage.saveEvent(e);
        await storage.applyTokenState({ provider: p, tokenRef: 't', state: 'ACTIVE', occurredAt: new Date(now - 9 * DAY), eventId: old.id });
        const pruned = await storage.prune(new Date(now - 7 * DAY));
        assert.ok(pruned.events >= 1, `pruned ${pruned.events} events`);
        assert.deepEqual((await storage.listEvents({ provider: p })).map((e) => e.id), [edge.id, fresh.id]);
        assert.equal((await storage.getTokenState(p, 't'))?.state, 'ACTIVE');
      });
    });

    if (options.persistent) {
      describe('persistence', function () {
        it('keeps claims, events and token states across close() and a new instance', async function () {
          const first = await open(factory);
          const done = key();
          const held = key();
          const p = provider();
          const saved: StoredEvent = {
            provider: p, id: randomUUID(), type: 'token.deleted', tokenRef: 'tok', state: 'DELETED',
            occurredAt: new Date(Date.UTC(2025, 0, 2)), receivedAt: new Date(), stale: false, payload: { kept: true },
          };
          try {
            await first.claim(done, 'a', LONG_LEASE);
            await first.complete(done, 'a');
            await first.claim(held, 'a', 10 * MINUTE);
            await first.saveEvent(saved);
            await first.applyTokenState({ provider: p, tokenRef: 'tok', state: 'DELETED', occurredAt: saved.occurredAt, eventId: saved.id });
          } finally {
            await first.close?.();
          }
          const second = await open(factory);
          try {
            assert.equal(await second.claim(done, 'b', LONG_LEASE), 'processed');
            assert.equal(await second.claim(held, 'b', LONG_LEASE), 'in_progress');
            assert.deepEqual(await second.listEvents({ provider: p }), [saved]);
            assert.equal((await second.getTokenState(p, 'tok'))?.state, 'DELETED');
            const revive = await second.applyTokenState({ provider: p, tokenRef: 'tok', state: 'ACTIVE', occurredAt: new Date(), eventId: 'x' });
            assert.equal(revive.staleReason, 'after_deleted');
          } finally {
            await second.close?.();
          }
        });

        it('can be initialized twice on the same database', async function () {
          const again = await open(factory);
          try {
            await again.init?.();
            assert.equal(await again.claim(key(), 'a', LONG_LEASE), 'claimed');
          } finally {
            await again.close?.();
          }
        });
      });
    }
  });
}

export { runInboxConformance } from './inbox-conformance';
