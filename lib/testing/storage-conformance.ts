/**
 * `network-token-webhooks/testing/storage`: the conformance suite a storage adapter must pass, in mocha.
 *
 * @module network-token-webhooks/testing/storage
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TokenState } from '../events';
import type { Admission, Entry, EntryRecord, EventKey, Storage } from '../storage/storage';
import { loadDriver } from '../storage/driver';

export interface ConformanceOptions {
  /**
   * The store keeps its data in a database: the suite then checks that what one instance wrote,
   * a new instance from `factory` reads after `close()`. `factory` must return instances on the same database.
   */
  readonly persistent?: boolean;
  /** Upper bound, in ms, on waiting for a short lease to expire. Default 10000. */
  readonly expiryWaitMs?: number;
}

const LONG = 60_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T0 = Date.UTC(2025, 6, 3, 9, 0, 0);

async function open(factory: () => Storage | Promise<Storage>): Promise<Storage> {
  const storage = await factory();
  await storage.init?.();
  return storage;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Ids that break naive key building, escaping or comparison; 512 characters is the longest the pipeline lets through. */
const TRICKY_IDS = ['a"b', "a'b", 'a%b', 'a%25b', 'a*b', 'a?b', 'a[b]', '{a}', 'a:b', 'a\\b', 'a/b', 'a b', 'a\r\nb', 'a\tb',
  'emoji 💳', 'ünï', 'A', 'a', 'x'.repeat(512), 'ß', 'ss', ':', '%3A', '|', '0|x', 'e\u0301', '\u00e9', '{s0}', '*', '\\'];

/** `count` pseudo-random ids (fixed seed: the same every run) from characters that need care, of 1 to 40 characters. */
function fuzzedIds(count: number): string[] {
  const alphabet = ['a', 'Z', '0', '9', ' ', '"', "'", '%', '*', '?', '{', '}', '[', ']', ':', '|', '\\', '/', '\r', '\n', '\t', '.', '-', '_', '💳', 'é', 'ß', '中', '\u200b'];
  let seed = 0x2f6b1d;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  return Array.from({ length: count }, () => Array.from({ length: 1 + (next() % 40) }, () => alphabet[next() % alphabet.length]).join(''));
}

/** Repeat `attempt` until it answers true, for at most `boundMs`: a short lease expires by the store's own clock. */
async function until(attempt: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await attempt())) {
    if (Date.now() - start > boundMs) assert.fail(`${what} did not happen within ${boundMs} ms`);
    await pause(10);
  }
}

/**
 * Register the storage contract as mocha tests: every adapter, yours included, runs the same suite.
 * Each test writes under its own random provider name, so a shared database is fine. Needs `mocha` (an
 * optional peer dependency): without it, the call throws `ERR_NTW_DRIVER_MISSING`.
 *
 * ```ts
 * import { runStorageConformance } from 'network-token-webhooks/testing/storage';
 * runStorageConformance('MyStorage', () => new MyStorage(...), { persistent: true });
 * ```
 */
export function runStorageConformance(name: string, factory: () => Storage | Promise<Storage>, options: ConformanceOptions = {}): void {
  // Loaded here rather than imported, so that importing this module asks for no test framework.
  const { after, before, beforeEach, describe, it } = loadDriver<typeof import('mocha')>('mocha', 'runStorageConformance');
  const expiryWait = options.expiryWaitMs ?? 10_000;

  describe(`storage conformance: ${name}`, function () {
    let storage: Storage;
    const provider = () => `p-${randomUUID()}`;
    const record = (overrides: Partial<EntryRecord> = {}): EntryRecord => ({
      provider: provider(), id: randomUUID(), type: 'token.active', tokenRef: 'tok-1', state: 'ACTIVE',
      occurredAt: new Date(T0), receivedAt: new Date(T0 + 1234), fingerprint: 'fp-1',
      body: JSON.stringify({ text: 'ünï\u2028 "quoted" \\ {}', list: [1, null, true] }), ...overrides,
    });
    const keyOf = (r: EventKey): EventKey => ({ provider: r.provider, id: r.id });
    const run = (owner: string, leaseMs = LONG) => ({ as: 'running' as const, owner, leaseMs });
    const taken = (admission: Admission) => {
      assert.equal(admission.admitted, true, `expected the entry to be taken, found ${admission.entry.status}`);
      return admission.entry;
    };

    before(async function () {
      storage = await open(factory);
    });
    after(async function () {
      await storage?.close?.();
    });

    describe('admit', function () {
      it('stores a new entry to run now, with every record field as given', async function () {
        const r = record({ state: 'SUSPENDED', type: 'token.suspended' });
        const entry = taken(await storage.admit(r, run('a')));
        assert.deepEqual(
          { ...entry, dueAt: undefined },
          { ...r, status: 'running', attempts: 1, conflicts: 0, projection: 'changed', dueAt: undefined },
        );
        assert.deepEqual(await storage.getEntry(keyOf(r)), entry);
      });

      it('keeps a record without a state, and queues (pending) or quarantines as asked', async function () {
        const bare = record({ type: 'token.updated', state: undefined, tokenRef: '' });
        delete (bare as { state?: unknown }).state;
        const queued = taken(await storage.admit(bare, { as: 'pending' }));
        assert.equal(queued.status, 'pending');
        assert.equal(queued.attempts, 0);
        assert.equal('state' in queued, false);
        const odd = record({ type: 'unreadable' });
        const quarantined = taken(await storage.admit(odd, { as: 'quarantined', error: 'schema_violation: /payload' }));
        assert.equal(quarantined.status, 'quarantined');
        assert.equal(quarantined.lastError, 'schema_violation: /payload');
      });

      it('gives exactly one of 100 concurrent admissions of one id the run', async function () {
        const r = record();
        const results = await Promise.all(Array.from({ length: 100 }, (_, i) => storage.admit(r, run(`owner-${i}`))));
        assert.equal(results.filter((a) => a.admitted).length, 1);
        assert.ok(results.every((a) => a.entry.status === 'running' && a.entry.attempts === 1));
      });

      it('keys entries by provider and id together', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        taken(await storage.admit({ ...r, provider: provider() }, run('a')));
        taken(await storage.admit({ ...r, id: randomUUID() }, run('a')));
      });

      it('answers a copy of a done entry with the entry, and counts a copy with another fingerprint as a conflict', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        assert.equal(await storage.settle(keyOf(r), 'a', { status: 'done' }), true);
        const again = await storage.admit(r, run('b'));
        assert.deepEqual([again.admitted, again.admitted ? undefined : again.conflict, again.entry.status], [false, false, 'done']);
        const other = await storage.admit({ ...r, fingerprint: 'fp-2', tokenRef: 'tok-2' }, run('b'));
        assert.deepEqual([other.admitted, other.admitted ? undefined : other.conflict], [false, true]);
        const stored = await storage.getEntry(keyOf(r));
        assert.deepEqual([stored?.conflicts, stored?.fingerprint, stored?.tokenRef, stored?.status], [1, 'fp-1', 'tok-1', 'done']);
        assert.equal((await storage.admit({ ...r, fingerprint: 'fp-3' }, { as: 'pending' })).entry.conflicts, 2);
      });

      it('answers any copy of an entry stored without a fingerprint (carried over from 0.1) as a duplicate, never a conflict', async function () {
        const r = { ...record(), fingerprint: '' };
        taken(await storage.admit(r, run('a')));
        assert.equal(await storage.settle(keyOf(r), 'a', { status: 'done' }), true);
        const copy = await storage.admit({ ...r, fingerprint: 'fp-now' }, run('b'));
        assert.deepEqual([copy.admitted, copy.admitted ? undefined : copy.conflict, copy.entry.status, copy.entry.conflicts], [false, false, 'done', 0]);
      });

      it('answers a copy of an entry running under a live lease without taking it', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        const copy = await storage.admit(r, run('b'));
        assert.deepEqual([copy.admitted, copy.entry.status], [false, 'running']);
        const queued = await storage.admit(r, { as: 'pending' });
        assert.equal(queued.admitted, false);
      });

      it('takes again an entry whose run failed, or died (lease expired), counting attempts', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        assert.equal(await storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG }), true);
        const second = taken(await storage.admit(r, run('b', 50)));
        assert.deepEqual([second.status, second.attempts, second.lastError], ['running', 2, 'boom']);
        let third: Entry | undefined;
        await until(async () => {
          const a = await storage.admit(r, run('c'));
          if (a.admitted) third = a.entry;
          return a.admitted;
        }, expiryWait, 'lease expiry');
        assert.equal(third?.attempts, 3);
        assert.equal(await storage.settle(keyOf(r), 'b', { status: 'failed', error: 'late', retryInMs: 0 }), false,
          'an owner that lost its lease settles nothing');
      });

      it('applies the state of an entry it takes, not of one it queues or quarantines', async function () {
        const p = provider();
        const queued = record({ provider: p, tokenRef: 'tok' });
        const entry = taken(await storage.admit(queued, { as: 'pending' }));
        assert.equal(entry.projection, undefined);
        assert.equal(await storage.getTokenState(p, 'tok'), undefined);
        taken(await storage.admit(record({ provider: p, tokenRef: 'tok', type: 'unreadable' }), { as: 'quarantined', error: 'x' }));
        assert.equal(await storage.getTokenState(p, 'tok'), undefined);
        const running = record({ provider: p, tokenRef: 'tok', state: 'SUSPENDED' });
        taken(await storage.admit(running, run('a')));
        const state = await storage.getTokenState(p, 'tok');
        assert.deepEqual(state && { ...state, updatedAt: undefined },
          { provider: p, tokenRef: 'tok', state: 'SUSPENDED', occurredAt: new Date(T0), eventId: running.id, updatedAt: undefined });
        assert.ok(state!.updatedAt instanceof Date && !Number.isNaN(state!.updatedAt.getTime()));
        const leased = await storage.lease('w', LONG, keyOf(queued));
        assert.equal(leased?.projection, 'changed', 'leasing applies the state too (equal times apply)');
        assert.equal((await storage.getTokenState(p, 'tok'))?.state, 'ACTIVE');
      });
    });

    describe('lease', function () {
      it('leases due pending entries to one owner each, counting attempts (oldest due first within a queue)', async function () {
        const p = provider();
        const first = record({ provider: p });
        const second = record({ provider: p });
        taken(await storage.admit(first, { as: 'pending' }));
        taken(await storage.admit(second, { as: 'pending' }));
        const mine = new Set([first.id, second.id]);
        const leased: string[] = [];
        // Other tests' entries may be due too: lease until both of ours came out.
        await until(async () => {
          const l = await storage.lease('w', LONG);
          if (!l) return true;
          if (mine.has(l.id)) {
            leased.push(l.id);
            assert.deepEqual([l.status, l.attempts], ['running', 1]);
          } else {
            await storage.settle(keyOf(l), 'w', { status: 'done' });
          }
          return leased.length === 2;
        }, expiryWait, 'leasing both entries');
        // A sharded store (Redis Cluster) keeps one queue per shard: the order across shards is not promised.
        assert.deepEqual(new Set(leased), new Set([first.id, second.id]));
        assert.equal(await storage.lease('w', LONG, keyOf(first)), undefined, 'a leased entry is not due');
      });

      it('gives each due entry to exactly one of many concurrent workers', async function () {
        const p = provider();
        const records = Array.from({ length: 10 }, () => record({ provider: p }));
        for (const r of records) await storage.admit(r, { as: 'pending' });
        const results = await Promise.all(records.map((r, i) => Promise.all([
          storage.lease(`x${i}`, LONG, keyOf(r)), storage.lease(`y${i}`, LONG, keyOf(r)), storage.lease(`z${i}`, LONG, keyOf(r)),
        ])));
        for (const trio of results) assert.equal(trio.filter(Boolean).length, 1);
      });

      it('leases a failed entry once its retry is due, and an entry whose lease expired', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        await storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG });
        assert.equal(await storage.lease('w', LONG, keyOf(r)), undefined);
        const s = record();
        taken(await storage.admit(s, run('a')));
        await storage.settle(keyOf(s), 'a', { status: 'failed', error: 'boom', retryInMs: 0 });
        const leased = await storage.lease('w', 50, keyOf(s));
        assert.deepEqual([leased?.status, leased?.attempts, leased?.lastError], ['running', 2, 'boom']);
        await until(async () => (await storage.lease('v', LONG, keyOf(s))) !== undefined, expiryWait, 'lease expiry');
        assert.equal((await storage.getEntry(keyOf(s)))?.attempts, 3);
      });

      it('never leases done, dead or quarantined entries', async function () {
        const done = record();
        const dead = record();
        const odd = record();
        taken(await storage.admit(done, run('a')));
        await storage.settle(keyOf(done), 'a', { status: 'done' });
        taken(await storage.admit(dead, run('a')));
        await storage.settle(keyOf(dead), 'a', { status: 'dead', error: 'gave up' });
        taken(await storage.admit(odd, { as: 'quarantined', error: 'unreadable' }));
        for (const r of [done, dead, odd]) assert.equal(await storage.lease('w', LONG, keyOf(r)), undefined);
      });
    });

    describe('extend', function () {
      it('keeps a short lease alive past its first end, for its owner only', async function () {
        const r = record();
        taken(await storage.admit(r, run('a', 500)));
        assert.equal(await storage.extend(keyOf(r), 'b', LONG), false);
        assert.equal(await storage.extend(keyOf(r), 'a', LONG), true);
        await pause(600);
        assert.equal((await storage.admit(r, run('b'))).admitted, false);
      });

      it('answers false once the lease expired, or the entry settled, and revives nothing', async function () {
        const r = record();
        taken(await storage.admit(r, run('a', 50)));
        await until(async () => !(await storage.extend(keyOf(r), 'nobody', 1)) && (await storage.lease('probe', LONG, keyOf(r))) !== undefined,
          expiryWait, 'lease expiry');
        assert.equal(await storage.extend(keyOf(r), 'a', LONG), false);
        await storage.settle(keyOf(r), 'probe', { status: 'done' });
        assert.equal(await storage.extend(keyOf(r), 'probe', LONG), false);
        assert.equal((await storage.getEntry(keyOf(r)))?.status, 'done');
      });
    });

    describe('settle', function () {
      it('records failed and dead only for the lease holder; done for anyone', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        assert.equal(await storage.settle(keyOf(r), 'b', { status: 'failed', error: 'x', retryInMs: 0 }), false);
        assert.equal(await storage.settle(keyOf(r), 'b', { status: 'dead', error: 'x' }), false);
        assert.equal((await storage.getEntry(keyOf(r)))?.status, 'running');
        assert.equal(await storage.settle(keyOf(r), 'a', { status: 'dead', error: 'gave up' }), true);
        const dead = await storage.getEntry(keyOf(r));
        assert.deepEqual([dead?.status, dead?.lastError], ['dead', 'gave up']);
        const s = record();
        taken(await storage.admit(s, run('a')));
        assert.equal(await storage.settle(keyOf(s), 'someone-else', { status: 'done' }), true);
        const done = await storage.getEntry(keyOf(s));
        assert.deepEqual([done?.status, done?.projection], ['done', 'changed']);
        assert.equal(await storage.settle({ provider: provider(), id: 'missing' }, 'a', { status: 'done' }), false);
      });
    });

    describe('token state', function () {
      /** Take an entry of token `tok` with `state` at T0 + `seconds`: its state is applied then. */
      const takeWith = async (p: string, state: TokenState, seconds: number, id: string = randomUUID(), owner = 'o') => {
        const r = record({ provider: p, id, tokenRef: 'tok', state, occurredAt: new Date(T0 + seconds * 1000) });
        return taken(await storage.admit(r, run(owner)));
      };
      const outcome = (e: Entry) => (e.projection === 'stale' ? `stale:${e.staleReason}` : e.projection);

      it('first, newer and equal-time states apply; the same state again is a repeat; older is out_of_order', async function () {
        const p = provider();
        assert.equal(outcome(await takeWith(p, 'ACTIVE', 10)), 'changed');
        const suspended = await takeWith(p, 'SUSPENDED', 20);
        assert.equal(outcome(suspended), 'changed');
        assert.equal(outcome(await takeWith(p, 'SUSPENDED', 30)), 'repeated');
        assert.equal(outcome(await takeWith(p, 'SUSPENDED', 25)), 'stale:out_of_order', 'older than the repeat that moved the time on');
        const state = await storage.getTokenState(p, 'tok');
        assert.deepEqual([state?.state, state?.eventId, state?.occurredAt.getTime()], ['SUSPENDED', suspended.id, T0 + 30_000],
          'a repeat keeps the event that set the state and moves its time');
        assert.equal(outcome(await takeWith(p, 'ACTIVE', 30)), 'changed', 'equal times apply');
        assert.equal((await storage.getTokenState(p, 'tok'))?.state, 'ACTIVE');
      });

      it('runs the event that set the state again as a change (a redelivery after a failure), without moving time back', async function () {
        const p = provider();
        const first = await takeWith(p, 'SUSPENDED', 10, randomUUID(), 'first-owner');
        assert.equal(await storage.settle(keyOf(first), 'first-owner', { status: 'failed', error: 'x', retryInMs: 0 }), true);
        assert.equal(outcome(await takeWith(p, 'SUSPENDED', 20)), 'repeated');
        const again = await takeWith(p, 'SUSPENDED', 10, first.id);
        assert.deepEqual([outcome(again), again.attempts], ['changed', 2]);
        assert.equal((await storage.getTokenState(p, 'tok'))?.occurredAt.getTime(), T0 + 20_000);
      });

      it('never leaves DELETED, except for DELETED again', async function () {
        const p = provider();
        assert.equal(outcome(await takeWith(p, 'DELETED', 10)), 'changed');
        assert.equal(outcome(await takeWith(p, 'ACTIVE', 99)), 'stale:after_deleted');
        assert.equal(outcome(await takeWith(p, 'DELETED', 50)), 'repeated');
        assert.equal((await storage.getTokenState(p, 'tok'))?.state, 'DELETED');
      });

      it('keeps tokens apart by provider and tokenRef, and ends at the newest of 50 concurrent events', async function () {
        const p = provider();
        const states: TokenState[] = ['ACTIVE', 'SUSPENDED'];
        const entries = await Promise.all(Array.from({ length: 50 }, (_, i) => takeWith(p, states[i % 2]!, i)));
        const final = await storage.getTokenState(p, 'tok');
        assert.deepEqual([final?.state, final?.occurredAt.getTime()], ['SUSPENDED', T0 + 49_000]);
        assert.ok(entries.some((e) => e.id === final?.eventId && e.state === 'SUSPENDED'));
        assert.equal(await storage.getTokenState(p, 'other'), undefined);
        assert.equal(await storage.getTokenState(provider(), 'tok'), undefined);
      });
    });

    describe('requeue', function () {
      it('makes failed, dead and done entries pending again with no attempts, and answers their keys', async function () {
        const id = randomUUID();
        const [a, b, c, d] = [record({ id }), record({ id }), record({ id }), record({ id })];
        for (const r of [a, b, c, d]) taken(await storage.admit(r, run('o')));
        await storage.settle(keyOf(a), 'o', { status: 'failed', error: 'x', retryInMs: LONG });
        await storage.settle(keyOf(b), 'o', { status: 'dead', error: 'x' });
        await storage.settle(keyOf(c), 'o', { status: 'done' });
        const keys = await storage.requeue(id, a.provider);
        assert.deepEqual(keys, [keyOf(a)]);
        const requeued = await storage.getEntry(keyOf(a));
        assert.deepEqual([requeued?.status, requeued?.attempts], ['pending', 0]);
        const rest = await storage.requeue(id);
        assert.deepEqual(new Set(rest.map((k) => k.provider)), new Set([b.provider, c.provider]), 'running entries are left alone');
        assert.equal((await storage.lease('w', LONG, keyOf(b)))?.attempts, 1);
        assert.deepEqual(await storage.requeue(randomUUID()), []);
      });
    });

    describe('listEntries', function () {
      it('filters by provider, token, status and time (since inclusive, until exclusive), oldest first, with a limit', async function () {
        const p = provider();
        const at = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));
        const records = [3, 1, 4, 2, 5].map((s) => record({ provider: p, receivedAt: at(s), tokenRef: s % 2 ? 'odd' : 'even' }));
        for (const r of records) taken(await storage.admit(r, run('o')));
        await storage.settle(keyOf(records[0]!), 'o', { status: 'done' });
        const seconds = (list: Entry[]) => list.map((e) => e.receivedAt.getUTCSeconds());
        assert.deepEqual(seconds(await storage.listEntries({ provider: p })), [1, 2, 3, 4, 5]);
        assert.deepEqual(seconds(await storage.listEntries({ provider: p, tokenRef: 'odd' })), [1, 3, 5]);
        assert.deepEqual(seconds(await storage.listEntries({ provider: p, since: at(2), until: at(4) })), [2, 3]);
        assert.deepEqual(seconds(await storage.listEntries({ provider: p, tokenRef: 'odd', since: at(3) })), [3, 5]);
        assert.deepEqual(seconds(await storage.listEntries({ provider: p, status: 'done' })), [3]);
        assert.deepEqual(seconds(await storage.listEntries({ provider: p, status: 'running', limit: 2 })), [1, 2]);
        assert.deepEqual(await storage.listEntries({ provider: p, tokenRef: 'none' }), []);
      });

      it('lists across providers by time, and at most 100 by default', async function () {
        const since = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9));
        const a = record({ receivedAt: new Date(since.getTime() + 1) });
        const b = record({ receivedAt: new Date(since.getTime() + 2) });
        taken(await storage.admit(b, { as: 'pending' }));
        taken(await storage.admit(a, { as: 'pending' }));
        assert.deepEqual((await storage.listEntries({ since, until: new Date(since.getTime() + 3) })).map((e) => e.id), [a.id, b.id]);
        const p = provider();
        for (let i = 0; i < 101; i++) await storage.admit(record({ provider: p, receivedAt: new Date(Date.UTC(2025, 0, 1) + i) }), { as: 'pending' });
        const found = await storage.listEntries({ provider: p });
        assert.equal(found.length, 100);
        assert.equal(found[99]!.receivedAt.getTime(), Date.UTC(2025, 0, 1) + 99);
      });
    });

    describe('operations queries (order, conflicted, stats)', function () {
      const sorted = <T>(rows: readonly T[]) => rows.map((r) => JSON.stringify(r)).sort();
      const minute = (m: number) => new Date(T0 + m * MINUTE);
      const statsOf = async (p: string, since = minute(-60), until = minute(60)) => {
        if (!storage.stats) throw new Error('no stats');
        return storage.stats({ provider: p, since, until });
      };

      beforeEach(function () {
        if (!storage.stats) this.skip(); // optional: an adapter without stats need not honour order or conflicted
      });

      it('lists newest first when asked, the limit keeping the newest', async function () {
        const p = provider();
        for (const s of [3, 1, 4, 2]) taken(await storage.admit(record({ provider: p, receivedAt: new Date(T0 + s) }), { as: 'pending' }));
        const times = (list: Entry[]) => list.map((e) => e.receivedAt.getTime() - T0);
        assert.deepEqual(times(await storage.listEntries({ provider: p, order: 'newest' })), [4, 3, 2, 1]);
        assert.deepEqual(times(await storage.listEntries({ provider: p, order: 'newest', limit: 2 })), [4, 3]);
        assert.deepEqual(times(await storage.listEntries({ provider: p, order: 'oldest', limit: 2 })), [1, 2]);
        assert.deepEqual(times(await storage.listEntries({ provider: p, tokenRef: 'tok-1', order: 'newest', until: new Date(T0 + 4) })), [3, 2, 1]);
      });

      it('lists and counts the entries that met a conflicting copy', async function () {
        const p = provider();
        const clean = record({ provider: p });
        const disputed = record({ provider: p });
        taken(await storage.admit(clean, run('a')));
        taken(await storage.admit(disputed, run('a')));
        await storage.admit({ ...disputed, fingerprint: 'fp-other' }, run('b'));
        await storage.admit({ ...disputed, fingerprint: 'fp-third' }, run('b'));
        assert.deepEqual((await storage.listEntries({ provider: p, conflicted: true })).map((e) => [e.id, e.conflicts]), [[disputed.id, 2]]);
        assert.equal((await statsOf(p)).conflicted, 1);
      });

      it('counts entries received by minute, provider and current status, in whole minutes of the window', async function () {
        const p = provider();
        const done = record({ provider: p, receivedAt: new Date(T0 + 10_000) });
        const pending = record({ provider: p, receivedAt: new Date(T0 + 70_000) });
        const quarantined = record({ provider: p, receivedAt: new Date(T0 + 80_000), type: 'unreadable' });
        const later = record({ provider: p, receivedAt: minute(5) });
        taken(await storage.admit(done, run('a')));
        await storage.settle(keyOf(done), 'a', { status: 'done' });
        taken(await storage.admit(pending, { as: 'pending' }));
        taken(await storage.admit(quarantined, { as: 'quarantined', error: 'schema_violation' }));
        taken(await storage.admit(later, { as: 'pending' }));
        const stats = await statsOf(p, new Date(T0 + 30_000), new Date(T0 + 90_000));
        assert.deepEqual(sorted(stats.received), sorted([
          { minute: minute(0), provider: p, status: 'done', count: 1 },
          { minute: minute(1), provider: p, status: 'pending', count: 1 },
          { minute: minute(1), provider: p, status: 'quarantined', count: 1 },
        ]));
        assert.deepEqual(sorted(stats.open), sorted([
          { provider: p, status: 'pending', count: 2 },
          { provider: p, status: 'quarantined', count: 1 },
        ]), 'open entries are counted whenever received; done ones are not');
        assert.equal(stats.conflicted, 0);
        assert.deepEqual((await storage.stats!({ provider: provider(), since: minute(0), until: minute(1) })),
          { received: [], open: [], tokens: [], conflicted: 0 });
      });

      it('keeps the counts through every transition: failed, dead, requeued, leased, done', async function () {
        const p = provider();
        const r = record({ provider: p });
        const open = async () => sorted((await statsOf(p)).open);
        taken(await storage.admit(r, run('a')));
        assert.deepEqual(await open(), sorted([{ provider: p, status: 'running', count: 1 }]));
        await storage.settle(keyOf(r), 'a', { status: 'failed', error: 'boom', retryInMs: LONG });
        assert.deepEqual(await open(), sorted([{ provider: p, status: 'failed', count: 1 }]));
        taken(await storage.admit(r, run('b')));
        await storage.settle(keyOf(r), 'b', { status: 'dead', error: 'boom' });
        assert.deepEqual(await open(), sorted([{ provider: p, status: 'dead', count: 1 }]));
        await storage.requeue(r.id, p);
        assert.deepEqual(await open(), sorted([{ provider: p, status: 'pending', count: 1 }]));
        assert.equal((await storage.lease('c', LONG, keyOf(r)))?.status, 'running');
        await storage.settle(keyOf(r), 'c', { status: 'done' });
        assert.deepEqual(await open(), []);
        const received = (await statsOf(p)).received;
        assert.deepEqual(received, [{ minute: minute(0), provider: p, status: 'done', count: 1 }]);
      });

      it('counts tokens by provider and state as their states change', async function () {
        const p = provider();
        taken(await storage.admit(record({ provider: p, tokenRef: 'a', state: 'ACTIVE' }), run('o')));
        taken(await storage.admit(record({ provider: p, tokenRef: 'b', state: 'ACTIVE' }), run('o')));
        taken(await storage.admit(record({ provider: p, tokenRef: 'c', state: 'SUSPENDED', type: 'token.suspended' }), run('o')));
        assert.deepEqual(sorted((await statsOf(p)).tokens), sorted([
          { provider: p, state: 'ACTIVE', count: 2 }, { provider: p, state: 'SUSPENDED', count: 1 },
        ]));
        const deleted = record({ provider: p, tokenRef: 'a', state: 'DELETED', type: 'token.deleted', occurredAt: new Date(T0 + 1000) });
        taken(await storage.admit(deleted, run('o')));
        taken(await storage.admit(record({ provider: p, tokenRef: 'b', state: 'ACTIVE', occurredAt: new Date(T0 + 1000) }), run('o')));
        taken(await storage.admit(record({ provider: p, tokenRef: 'a', state: 'ACTIVE', occurredAt: new Date(T0 + 2000) }), run('o')));
        assert.deepEqual(sorted((await statsOf(p)).tokens), sorted([
          { provider: p, state: 'ACTIVE', count: 1 }, { provider: p, state: 'SUSPENDED', count: 1 }, { provider: p, state: 'DELETED', count: 1 },
        ]), 'a repeat and a stale event change no count');
      });

      it('forgets pruned entries', async function () {
        const p = provider();
        const old = new Date(Date.UTC(2003, 0, 1) + Math.floor(Math.random() * 1e9));
        const r = record({ provider: p, receivedAt: old });
        taken(await storage.admit(r, run('a')));
        await storage.admit({ ...r, fingerprint: 'fp-other' }, run('b'));
        await storage.settle(keyOf(r), 'a', { status: 'done' });
        const window = [new Date(old.getTime() - MINUTE), new Date(old.getTime() + MINUTE)] as const;
        assert.equal((await statsOf(p, ...window)).received.length, 1);
        await storage.prune(new Date(old.getTime() + 1));
        const after = await statsOf(p, ...window);
        assert.deepEqual([after.received, after.conflicted], [[], 0]);
        assert.deepEqual(await storage.listEntries({ provider: p, conflicted: true }), []);
      });
    });

    describe('retention', function () {
      it('prunes done entries received before the cutoff; keeps newer ones, unfinished ones and token states', async function () {
        const p = provider();
        const now = Date.now();
        const at = (ms: number) => new Date(now - ms);
        const old = record({ provider: p, tokenRef: 't', receivedAt: at(8 * DAY) });
        const edge = record({ provider: p, tokenRef: 't', receivedAt: at(7 * DAY) });
        const failedOld = record({ provider: p, tokenRef: 't', receivedAt: at(9 * DAY) });
        for (const r of [old, edge, failedOld]) taken(await storage.admit(r, run('o')));
        await storage.settle(keyOf(old), 'o', { status: 'done' });
        await storage.settle(keyOf(edge), 'o', { status: 'done' });
        await storage.settle(keyOf(failedOld), 'o', { status: 'failed', error: 'x', retryInMs: LONG });
        const pruned = await storage.prune(at(7 * DAY));
        assert.ok(pruned.entries >= 1, `pruned ${pruned.entries} entries`);
        assert.deepEqual((await storage.listEntries({ provider: p })).map((e) => e.id), [failedOld.id, edge.id]);
        assert.equal((await storage.getTokenState(p, 't'))?.state, 'ACTIVE');
        taken(await storage.admit(old, run('again')));
      });
    });

    describe('ids', function () {
      it('stores exactly the id and token it was given: distinct ones stay distinct, equal ones collide', async function () {
        const p = provider();
        const ids = [...new Set([...TRICKY_IDS, ...fuzzedIds(120)])];
        for (const id of ids) taken(await storage.admit(record({ provider: p, id, tokenRef: id }), run('o')));
        for (const id of ids) {
          const again = await storage.admit(record({ provider: p, id, tokenRef: id }), run('o2'));
          assert.equal(again.admitted, false, `${JSON.stringify(id)} collides with itself`);
          assert.equal((await storage.getEntry({ provider: p, id }))?.tokenRef, id);
        }
        const listed = await storage.listEntries({ provider: p, limit: 1000 });
        assert.equal(listed.length, ids.length);
        assert.deepEqual(new Set(listed.map((e) => e.id)), new Set(ids));
        for (const token of [ids[11]!, ids[30]!]) {
          assert.deepEqual((await storage.listEntries({ provider: p, tokenRef: token })).map((e) => e.id), [token]);
        }
      });
    });

    describe('probe', function () {
      it('health() can ask it: its probe passes on a healthy store and leaves it as it was (without one, the read it makes instead answers)', async function () {
        const r = record();
        taken(await storage.admit(r, run('a')));
        const before = await storage.getEntry(keyOf(r));
        const probe = storage.probe?.bind(storage) ?? (async () => { assert.equal(await storage.getTokenState('health', 'health'), undefined); });
        for (let i = 0; i < 3; i++) await probe();
        assert.deepEqual(await storage.getEntry(keyOf(r)), before);
        assert.equal(await storage.settle(keyOf(r), 'a', { status: 'done' }), true);
        taken(await storage.admit(record(), run('b')));
      });
    });

    if (options.persistent) {
      describe('persistence', function () {
        it('keeps entries and token states across close() and a new instance', async function () {
          const first = await open(factory);
          const done = record({ state: 'DELETED', type: 'token.deleted' });
          const held = record();
          try {
            taken(await first.admit(done, run('a')));
            await first.settle(keyOf(done), 'a', { status: 'done' });
            taken(await first.admit(held, run('a', 10 * MINUTE)));
          } finally {
            await first.close?.();
          }
          const second = await open(factory);
          try {
            assert.equal((await second.admit(done, run('b'))).entry.status, 'done');
            assert.equal((await second.admit(held, run('b'))).admitted, false);
            assert.equal((await second.getTokenState(done.provider, done.tokenRef))?.state, 'DELETED');
            assert.equal((await second.getEntry(keyOf(done)))?.body, done.body);
          } finally {
            await second.close?.();
          }
        });

        it('can be initialized twice on the same database', async function () {
          const again = await open(factory);
          try {
            await again.init?.();
            taken(await again.admit(record(), run('a')));
          } finally {
            await again.close?.();
          }
        });
      });
    }
  });
}
