import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import type { Storage } from '../../lib';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { testReceiver } from '../helpers/app';
import { manualSchedule } from '../helpers/manual-schedule';
import { Latch, eventually, instrumented, post, tokenexBody } from './support';

const T0 = Date.UTC(2025, 0, 1);
const LEASE_MS = 30_000;
const STEP_MS = 40_000;

/** The wall clock of the storage (and of the receiver's dates), stepped by hand as NTP or a VM resume would. */
function wallClock() {
  let t = T0;
  return { ms: () => t, now: () => new Date(t), step: (ms: number) => { t += ms; } };
}

function stepSuite(name: string, makeStorage: (now: () => number) => Storage): void {
  it(`${name}: a clock step of +40 s while handlers run does not make the process lease and run its own running entries again`, async () => {
    const time = wallClock();
    let leasesAnsweredNone = 0;
    const storage = instrumented(makeStorage(time.ms), {
      after: (method, _args, result) => {
        if ((method === 'lease' && result === undefined) || (method === 'leaseMany' && (result as unknown[]).length === 0)) leasesAnsweredNone++;
      },
    });
    const { schedule, renewals } = manualSchedule();
    const { app, webhooks } = testReceiver({
      storage, mode: 'inbox', now: time.now, leaseMs: LEASE_MS, renewalSchedule: schedule,
      // maxAttempts 1: an entry taken again for its own run is not mistaken for one past its attempts (a crash loop).
      inbox: { pollIntervalMs: false, concurrency: 8, maxAttempts: 1 },
    });
    const gate = new Latch();
    const runs = new Map<string, number>();
    webhooks.onEvent(async (event) => {
      runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
      await gate.promise;
    });
    const lost: unknown[] = [];
    webhooks.onError((error) => { lost.push(error); });
    const ids = ['evt-step-1', 'evt-step-2', 'evt-step-3', 'evt-step-4'];
    for (const id of ids) assert.equal((await post(app, 'tokenex', tokenexBody({ id, tokenRef: `tok-${id}` }))).status, 200);

    const first = webhooks.processInbox();
    await eventually(() => runs.size === ids.length, 5000, 'the four handlers to start');
    time.step(STEP_MS); // every lease now looks expired to the storage: 40 s > 30 s, though the handlers ran for no time
    const before = leasesAnsweredNone;
    const second = webhooks.processInbox();
    // Done leasing: a lease found nothing more, or (the fault) every entry is running a second time.
    await eventually(() => leasesAnsweredNone > before || [...runs.values()].every((n) => n > 1), 5000, 'the second round of leases');
    for (const renewal of renewals.filter((r) => !r.cancelled)) await renewal.beat();

    gate.open();
    await Promise.all([first, second]);
    assert.deepEqual(ids.map((id) => runs.get(id)), [1, 1, 1, 1], 'each handler ran once');
    for (const id of ids) assert.equal((await storage.getEntry({ provider: 'tokenex', id }))?.status, 'done');
    assert.deepEqual(lost, [], 'no lease was reported lost, no crash loop: the running runs kept the leases');
    await webhooks.close();
  });

  it(`${name}: sync mode, a copy that takes the entry a replay of this process is running (its lease expired by the stepped clock) is answered in_progress`, async () => {
    const time = wallClock();
    const storage = makeStorage(time.ms);
    const { schedule, renewals } = manualSchedule();
    const { app, webhooks } = testReceiver({ storage, now: time.now, leaseMs: LEASE_MS, renewalSchedule: schedule });
    const gate = new Latch();
    let runs = 0;
    let hold = false;
    webhooks.onEvent(async () => {
      runs++;
      if (hold) await gate.promise;
    });
    const errors: unknown[] = [];
    webhooks.onError((error) => { errors.push(error); });
    const body = tokenexBody({ id: 'evt-step-sync' });
    // First delivered to another instance: this one's cache of finished events does not know it.
    const other = testReceiver({ storage, now: time.now, leaseMs: LEASE_MS });
    assert.equal((await post(other.app, 'tokenex', body)).status, 200);
    hold = true;
    const replay = webhooks.replay('evt-step-sync');
    await eventually(() => runs === 1, 5000, 'the replay to run');
    time.step(STEP_MS);
    const copy = await post(app, 'tokenex', body);
    assert.equal(copy.status, 409);
    assert.equal((copy.body as { error: { code: string } }).error.code, 'in_progress');
    assert.equal(runs, 1, 'the copy did not run the handlers while the replay runs them');
    await renewals.at(-1)!.beat(); // the replay's run renews the lease the copy took for it
    gate.open();
    assert.equal(await replay, 1);
    assert.equal((await storage.getEntry({ provider: 'tokenex', id: 'evt-step-sync' }))?.status, 'done');
    assert.deepEqual(errors, []);
    assert.equal((await post(app, 'tokenex', body)).body.duplicate, true);
  });
}

describe('delivery: a stepped wall clock', () => {
  stepSuite('MemoryStorage', (now) => new MemoryStorage({ now }));
  stepSuite('SqliteStorage', (now) => new SqliteStorage({ path: ':memory:', now }));
});
