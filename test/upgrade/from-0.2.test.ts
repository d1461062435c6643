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

/** The previous release, 0.2.0: its data, and its instances running beside this release's during a rolling deploy. */
describe('upgrade: from 0.2.0, its data and its instances beside this release', function () {
  this.timeout(120_000);
  const built = needsRelease('0.2.0');

  onEachStore(({ store, options, keep, closeKept }) => {
    it('what 0.2.0 processed stays processed, what it queued runs once, token states hold', async function () {
      const release = built.release!;
      const now = Date.now();
      const sync = keep(release.instance(store, options()));
      const done = Array.from({ length: 4 }, (_, i) => tokenexBody({ id: `done-${i}`, tokenRef: `tok-${i}`, state: i === 0 ? 'DELETED' : 'ACTIVE', at: now - 1000 }));
      for (const body of done) assert.equal((await send(sync, body)).status, 200);
      const inbox = keep(release.instance(store, options(), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      assert.equal((await send(inbox, tokenexBody({ id: 'queued', tokenRef: 'tok-q', state: 'ACTIVE', at: now - 1000 }))).status, 200);
      await closeKept();

      const current = keep(currentInstance(store.current(options()), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      await current.webhooks.ready();
      for (const body of done) assert.equal((await send(current, body)).body.duplicate, true);
      await current.webhooks.processInbox!();
      assert.deepEqual([...runsOf(current)], [['queued', 1]]);
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-0'))?.state, 'DELETED');
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-1'))?.state, 'ACTIVE');
    });

    it('0.2.0 and this release side by side dedupe each other: 40 events, each sent to both at once, each run once', async function () {
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
    });
  });
});
