import assert from 'node:assert/strict';
import request from 'supertest';
import { BEARER } from '../helpers/app';
import { tokenexBody } from '../delivery/support';
import { needsService } from '../storage/services';
import { STORES, currentInstance, needsRelease, runsOf } from './support';
import type { Instance } from './support';

const post = (instance: Instance, body: string) => request(instance.app).post('/webhooks/tokenex')
  .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body);

/** Until the event is acknowledged: a provider retries a retry-later answer (409 while the other instance runs it). */
async function deliverUntilAcknowledged(instance: Instance, body: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const answer = await post(instance, body);
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

  for (const store of STORES) {
    describe(`on ${store.name}`, function () {
      if (store.name !== 'SQLite') needsService(store.name, store.probe, store.hint);
      let place: ReturnType<typeof store.place>;
      const open: Instance[] = [];
      beforeEach(() => { place = store.place(); });
      afterEach(async () => {
        await Promise.all(open.splice(0).map((i) => i.webhooks.close().catch(() => undefined)));
        await place.cleanup();
      });
      const keep = (instance: Instance) => { open.push(instance); return instance; };

      it('what 0.2.0 processed stays processed, what it queued runs once, token states hold', async function () {
        const release = built.release!;
        const now = Date.now();
        const sync = keep(release.instance(store, place.options));
        const done = Array.from({ length: 4 }, (_, i) => tokenexBody({ id: `done-${i}`, tokenRef: `tok-${i}`, state: i === 0 ? 'DELETED' : 'ACTIVE', at: now - 1000 }));
        for (const body of done) assert.equal((await post(sync, body)).status, 200);
        const inbox = keep(release.instance(store, place.options, { mode: 'inbox', inbox: { pollIntervalMs: false } }));
        assert.equal((await post(inbox, tokenexBody({ id: 'queued', tokenRef: 'tok-q', state: 'ACTIVE', at: now - 1000 }))).status, 200);
        await Promise.all(open.splice(0).map((i) => i.webhooks.close()));

        const current = keep(currentInstance(store.current(place.options), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
        await current.webhooks.ready();
        for (const body of done) assert.equal((await post(current, body)).body.duplicate, true);
        await current.webhooks.processInbox!();
        assert.deepEqual([...runsOf(current)], [['queued', 1]]);
        assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-0'))?.state, 'DELETED');
        assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-1'))?.state, 'ACTIVE');
      });

      it('0.2.0 and this release side by side dedupe each other: 40 events, each sent to both at once, each run once', async function () {
        const release = built.release!;
        const previous = keep(release.instance(store, place.options));
        await previous.webhooks.ready();
        const current = keep(currentInstance(store.current(place.options)));
        await current.webhooks.ready();
        const bodies = Array.from({ length: 40 }, (_, i) => tokenexBody({ id: `side-${i}`, tokenRef: `tok-s${i}`, state: 'ACTIVE', at: Date.now() }));
        await Promise.all(bodies.map((body) => Promise.all([deliverUntilAcknowledged(previous, body), deliverUntilAcknowledged(current, body)])));
        const runs = runsOf(previous, current);
        assert.equal(runs.size, 40);
        assert.deepEqual([...runs.values()], Array(40).fill(1));
      });
    });
  }
});
