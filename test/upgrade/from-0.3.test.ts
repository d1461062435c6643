import assert from 'node:assert/strict';
import { tokenexBody } from '../delivery/support';
import { currentInstance, needsRelease, onEachStore, runsOf, send } from './support';
import type { Instance } from './support';

/** Until the event is acknowledged: a provider retries a retry-later answer (409 while the other instance runs it). */
async function deliverUntilAcknowledged(instance: Instance, body: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await send(instance, body);
    if (answer.status === 200) return;
    assert.ok(answer.status === 409 || answer.status === 503, `answered ${answer.status}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail('never acknowledged');
}

const ids = (entries: readonly { id: string }[]) => entries.map((e) => e.id).sort();

/**
 * The previous release, 0.3.0: its data under this release's schema step (each entry's history, an index by provider,
 * the fleet's refusals), and its instances running beside this release's during a rolling deploy.
 */
describe('upgrade: from 0.3.0, its data and its instances beside this release', function () {
  this.timeout(120_000);
  const built = needsRelease('0.3.0');

  onEachStore(({ store, options, keep, closeKept }) => {
    it('carries what 0.3.0 wrote: nothing lost, found by every search, its histories starting empty, then kept', async function () {
      const release = built.release!;
      const now = Date.now();
      const sync = keep(release.instance(store, options()));
      const done = Array.from({ length: 4 }, (_, i) => tokenexBody({ id: `done-${i}`, tokenRef: `tok-${i}`, state: i === 0 ? 'DELETED' : 'ACTIVE', at: now - 1000 }));
      for (const body of done) assert.equal((await send(sync, body)).status, 200);
      sync.failing.add('failed');
      assert.equal((await send(sync, tokenexBody({ id: 'failed', tokenRef: 'tok-f', state: 'ACTIVE', at: now - 1000 }))).status, 500);
      const inbox = keep(release.instance(store, options(), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      assert.equal((await send(inbox, tokenexBody({ id: 'queued', tokenRef: 'tok-q', state: 'ACTIVE', at: now - 1000 }))).status, 200);
      await closeKept();

      const storage = store.current(options());
      const current = keep(currentInstance(storage, { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      await current.webhooks.ready();
      const key = (id: string) => ({ provider: 'tokenex', id });
      assert.deepEqual(await storage.getHistory!(key('failed')), { attempts: [], copies: [] }, 'histories start empty');
      const failed = await storage.getEntry(key('failed'));
      assert.deepEqual([failed?.status, failed?.attempts, failed?.lastError], ['failed', 1, 'handler of failed fails'], 'its outcome is kept');

      assert.deepEqual(ids(await storage.listEntries({ provider: 'tokenex', limit: 100 })), ['done-0', 'done-1', 'done-2', 'done-3', 'failed', 'queued']);
      assert.deepEqual(ids(await storage.listEntries({ provider: 'tokenex', status: 'done', order: 'newest' })), ['done-0', 'done-1', 'done-2', 'done-3']);
      assert.deepEqual(ids(await storage.listEntries({ tokenRef: 'tok-2' })), ['done-2'], 'a token without a provider');
      assert.deepEqual(ids(await storage.listEntries({ id: 'done-3' })), ['done-3'], 'an id without a provider');
      const [newest] = await storage.listEntries({ provider: 'tokenex', order: 'newest', limit: 1 });
      assert.equal((await storage.listEntries({ provider: 'tokenex', order: 'newest', after: newest!, limit: 100 })).length, 5, 'pages after a cursor');

      for (const body of done) assert.equal((await send(current, body)).body.duplicate, true);
      await current.webhooks.processInbox!();
      assert.deepEqual([...runsOf(current)].sort(), [['failed', 1], ['queued', 1]], 'what 0.3.0 queued, and what failed under it, run once');
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-0'))?.state, 'DELETED');
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-1'))?.state, 'ACTIVE');
      const queued = await storage.getHistory!(key('queued'));
      assert.deepEqual(queued.attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done']], 'this release logs its attempts');
      assert.deepEqual((await storage.getHistory!(key('done-1'))).copies.length, 1, 'and the copies that reach the ledger');
    });

    it('0.3.0 instances started before this one migrated keep running beside it: 40 events, each sent to both at once, each run once', async function () {
      const release = built.release!;
      const previous = keep(release.instance(store, options()));
      await previous.webhooks.ready();
      const current = keep(currentInstance(store.current(options())));
      await current.webhooks.ready();
      const bodies = Array.from({ length: 40 }, (_, i) => tokenexBody({ id: `side-${i}`, tokenRef: `tok-s${i}`, state: 'ACTIVE', at: Date.now() }));
      await Promise.all(bodies.map((body) => Promise.all([deliverUntilAcknowledged(previous, body), deliverUntilAcknowledged(current, body)])));
      const runs = runsOf(previous, current);
      assert.equal(runs.size, 40);
      assert.deepEqual([...runs.values()], Array(40).fill(1));
      for (const body of bodies.slice(0, 5)) {
        assert.equal((await send(previous, body)).body.duplicate, true);
        assert.equal((await send(current, body)).body.duplicate, true);
      }
      const alone = tokenexBody({ id: 'after-migration', tokenRef: 'tok-after', state: 'ACTIVE', at: Date.now() });
      assert.equal((await send(previous, alone)).status, 200, 'the previous release runs a new event on the migrated schema');
      assert.equal((await send(current, alone)).body.duplicate, true);
      assert.equal(runsOf(previous, current).get('after-migration'), 1);
    });

    it("0.3.0 inbox workers beside this release's, which leases and completes many at once: 60 queued events, each run once", async function () {
      const release = built.release!;
      const inbox = { mode: 'inbox', inbox: { pollIntervalMs: false } };
      const previous = keep(release.instance(store, options(), inbox));
      await previous.webhooks.ready();
      const current = keep(currentInstance(store.current(options()), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      await current.webhooks.ready();
      const start = Date.now() - 120_000;
      const bodies = Array.from({ length: 60 }, (_, i) => tokenexBody({ id: `queued-${i}`, tokenRef: `tok-b${i % 7}`, state: i % 2 ? 'ACTIVE' : 'SUSPENDED', at: start + i * 1000 }));
      for (const [i, body] of bodies.entries()) assert.equal((await send(i % 2 ? previous : current, body)).status, 200);
      await Promise.all([previous.webhooks.processInbox!(), current.webhooks.processInbox!(), previous.webhooks.processInbox!()]);
      const runs = runsOf(previous, current);
      assert.equal(runs.size, 60);
      assert.deepEqual([...runs.values()], Array(60).fill(1));
      // Whoever ran them, in whatever order: each token ends at the state of its newest event.
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-b0'))?.state, 'SUSPENDED');
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-b1'))?.state, 'ACTIVE');
    });
  });
});
