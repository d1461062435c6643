import assert from 'node:assert/strict';
import { Latch, tokenexBody, turns } from '../delivery/support';
import { currentInstance, needsRelease, onEachStore, runsOf, send } from './support';

const HOUR = 3_600_000;

/**
 * Data written by 0.1.0 (built from its commit by the test), then this release started on it: every record 0.1
 * kept is carried forward (dedupe records, token states, unfinished inbox entries, dead letters), and a 0.1
 * instance that still runs, or starts again, cannot run an event the ledger does not know of.
 */
describe('upgrade: from 0.1.0, its data carried forward', function () {
  this.timeout(120_000);
  const built = needsRelease('0.1.0');

  onEachStore(({ store, options, keep, closeKept }) => {
    it('redeliveries of what 0.1 processed are duplicates, token states hold, its inbox runs once, its dead letters stay dead', async function () {
      const release = built.release!;
      const now = Date.now();
      let oldClock = now;
      const sync = keep(release.instance(store, options()));
      const inbox = keep(release.instance(store, options(), {
        mode: 'inbox', now: () => new Date(oldClock), inbox: { pollIntervalMs: false, maxAttempts: 2, backoffBaseMs: 1000, backoffMaxMs: 1000 },
      }));

      const processed = {
        'done-1': tokenexBody({ id: 'done-1', tokenRef: 'tok-x', state: 'ACTIVE', at: now - 3 * HOUR }),
        'done-2': tokenexBody({ id: 'done-2', tokenRef: 'tok-x', state: 'DELETED', previous: 'ACTIVE', at: now - 2 * HOUR }),
        'done-3': tokenexBody({ id: 'done-3', tokenRef: 'tok-y', state: 'ACTIVE', at: now - HOUR }),
        'done-4': tokenexBody({ id: 'done-4', tokenRef: 'tok-z', state: 'SUSPENDED', at: now - HOUR }),
      };
      for (const body of Object.values(processed)) assert.equal((await send(sync, body)).status, 200);
      sync.failing.add('failed-1');
      const failed = tokenexBody({ id: 'failed-1', tokenRef: 'tok-f', state: 'ACTIVE', at: now - HOUR });
      assert.equal((await send(sync, failed)).status, 500, '0.1 answers a failed handler retry-later');

      const queued = {
        'inbox-done-1': tokenexBody({ id: 'inbox-done-1', tokenRef: 'tok-i1', state: 'ACTIVE', at: now - HOUR }),
        'inbox-done-2': tokenexBody({ id: 'inbox-done-2', tokenRef: 'tok-i2', state: 'ACTIVE', at: now - HOUR }),
      };
      for (const body of Object.values(queued)) assert.equal((await send(inbox, body)).status, 200);
      assert.equal(await inbox.webhooks.processInbox!(), 2);
      inbox.failing.add('inbox-dead-1');
      assert.equal((await send(inbox, tokenexBody({ id: 'inbox-dead-1', tokenRef: 'tok-d', state: 'ACTIVE', at: now - HOUR }))).status, 200);
      await inbox.webhooks.processInbox!();
      oldClock += 5000; // past the backoff
      await inbox.webhooks.processInbox!();
      assert.deepEqual((await inbox.webhooks.listDeadLetters!()).map((e) => e.id), ['inbox-dead-1']);
      oldClock = now; // queued now, due now
      const pending = ['inbox-pending-1', 'inbox-pending-2'];
      for (const id of pending) assert.equal((await send(inbox, tokenexBody({ id, tokenRef: `tok-${id}`, state: 'ACTIVE', at: now - HOUR }))).status, 200);
      await closeKept();

      // This release on the same data.
      const current = keep(currentInstance(store.current(options())));
      await current.webhooks.ready();
      for (const [id, body] of Object.entries({ ...processed, ...queued })) {
        const answer = await send(current, body);
        assert.deepEqual([id, answer.status, (answer.body as { duplicate?: boolean }).duplicate], [id, 200, true]);
      }
      assert.equal(runsOf(current).size, 0, 'no redelivery of what 0.1 processed ran again');
      assert.deepEqual(await current.webhooks.getTokenState('tokenex', 'tok-x').then((s) => [s?.state, s?.chargeable]), ['DELETED', false]);
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-y'))?.state, 'ACTIVE');
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-z'))?.state, 'SUSPENDED');
      const revive = await send(current, tokenexBody({ id: 'late-active', tokenRef: 'tok-x', state: 'ACTIVE', at: now - HOUR }));
      assert.equal(revive.status, 200);
      assert.equal((await current.webhooks.getTokenState('tokenex', 'tok-x'))?.state, 'DELETED', 'an older event does not revive a deleted token');
      assert.equal((await send(current, failed)).status, 200, 'the event 0.1 failed runs on its retry');
      assert.equal(runsOf(current).get('failed-1'), 1);

      await current.webhooks.close();
      const worker = keep(currentInstance(store.current(options()), { mode: 'inbox', inbox: { pollIntervalMs: false } }));
      await worker.webhooks.ready();
      await worker.webhooks.processInbox!();
      assert.deepEqual([...runsOf(worker)].sort(), pending.map((id) => [id, 1]), 'what 0.1 acknowledged and had not run runs once');
      assert.deepEqual((await worker.webhooks.listDeadLetters!()).map((e) => e.id), ['inbox-dead-1']);
    });

    it('waits while a 0.1 instance runs an event (SQLite: refuses, ERR_NTW_OLDER_VERSION_ACTIVE), then carries it forward as done', async function () {
      const release = built.release!;
      const old = keep(release.instance(store, options()));
      const gate = new Latch();
      const entered = new Latch();
      old.webhooks.onEvent(async () => { entered.open(); await gate.promise; });
      const body = tokenexBody({ id: 'in-flight', tokenRef: 'tok-f', state: 'ACTIVE', at: Date.now() });
      const running = send(old, body).then((answer) => answer); // sent now (a supertest request waits to be awaited)
      await entered.promise;
      const current = keep(currentInstance(store.current(options())));
      if (store.name === 'SQLite') {
        // better-sqlite3 is synchronous: it cannot wait, so it refuses, and the next start tries again
        await assert.rejects(current.webhooks.ready(), (error: { code?: string }) => error.code === 'ERR_NTW_OLDER_VERSION_ACTIVE');
        gate.open();
        assert.equal((await running).status, 200);
        await current.webhooks.ready();
      } else {
        let ready = false;
        const starting = current.webhooks.ready().then(() => { ready = true; });
        await turns(50);
        assert.equal(ready, false, 'it waits for the 0.1 instance');
        gate.open();
        assert.equal((await running).status, 200);
        await starting;
      }
      const again = await send(current, body);
      assert.deepEqual([again.status, (again.body as { duplicate?: boolean }).duplicate], [200, true]);
      assert.deepEqual([...runsOf(old, current)], [['in-flight', 1]]);
    });

    it('a 0.1 instance running beside it after the upgrade refuses deliveries and runs no handler: 40 events, each run once', async function () {
      const release = built.release!;
      const old = keep(release.instance(store, options()));
      assert.equal((await send(old, tokenexBody({ id: 'before', tokenRef: 'tok-b', state: 'ACTIVE', at: Date.now() }))).status, 200);
      const current = keep(currentInstance(store.current(options())));
      await current.webhooks.ready();
      const restarted = keep(release.instance(store, options()));
      const bodies = Array.from({ length: 40 }, (_, i) => tokenexBody({ id: `mixed-${i}`, tokenRef: `tok-m${i}`, state: 'ACTIVE', at: Date.now() }));
      for (const body of bodies) {
        const answers = await Promise.all([send(old, body), send(restarted, body), send(current, body)]);
        // retry-later: 503 from the fence, or 409 while the other 0.1 instance held the claim it then could not use
        assert.ok([answers[0].status, answers[1].status].every((s) => s === 409 || s >= 500), `0.1 answered ${answers[0].status}/${answers[1].status}`);
        assert.equal(answers[2].status, 200);
      }
      const runs = runsOf(old, restarted, current);
      runs.delete('before');
      assert.deepEqual([...runs.values()], Array(40).fill(1), 'each event ran once, by this release');
      assert.equal(runsOf(old, restarted).size, 1, '0.1 ran none after the upgrade');
    });
  });
});
