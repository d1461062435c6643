import assert from 'node:assert/strict';
import { startLeaseHeartbeat } from '../../lib/ledger/lease-heartbeat';
import type { LeaseHeartbeatOptions } from '../../lib/ledger/lease-heartbeat';
import { Latch, eventually } from '../delivery/support';
import { manualSchedule } from '../helpers/manual-schedule';

const LEASE_MS = 30_000;

describe('lease heartbeat', () => {
  /** A heartbeat on a hand-driven schedule and a hand-moved monotonic clock. */
  const start = (renew: LeaseHeartbeatOptions['renew'], extra: Partial<LeaseHeartbeatOptions> = {}) => {
    const { schedule, renewals } = manualSchedule();
    const time = { t: 0 };
    const lost: { why: string; cause: unknown }[] = [];
    const failed: unknown[] = [];
    const heartbeat = startLeaseHeartbeat({
      leaseMs: LEASE_MS, renew, label: 'test lease', schedule, clock: () => time.t, takenAt: 0,
      lost: (why, cause) => lost.push({ why, cause }), failed: (e) => failed.push(e), ...extra,
    });
    assert.equal(renewals.length, 1);
    return { heartbeat, renewal: () => renewals.at(-1)!, renewals, lost, failed, time };
  };

  it('renews every third of the lease until stopped', async () => {
    let renewed = 0;
    const { heartbeat, renewal, lost } = start(() => { renewed++; return true; });
    assert.equal(renewal().intervalMs, 10_000);
    await renewal().beat();
    await renewal().beat();
    assert.equal(renewed, 2);
    heartbeat.stop();
    assert.equal(renewal().cancelled, true);
    await renewal().beat();
    assert.equal(renewed, 2, 'no renewal after stop');
    assert.deepEqual(lost, []);
  });

  it('a renewal answering false loses the lease: reported once, and renewal stops', async () => {
    let renewed = 0;
    const { renewal, lost, failed } = start(() => { renewed++; return false; });
    await renewal().beat();
    assert.equal(renewal().cancelled, true);
    await renewal().beat();
    assert.equal(renewed, 1);
    assert.equal(lost.length, 1);
    assert.match(lost[0]!.why, /no longer holds it/);
    assert.deepEqual(failed, []);
  });

  it('a renewal that fails is tried again at once, then at each beat, while the lease lasts: the lease is not lost', async () => {
    const failure = new Error('database silent');
    let calls = 0;
    let up = false;
    const { renewal, lost, failed, time } = start(async () => {
      calls++;
      if (!up) throw failure;
      return true;
    });
    time.t = 10_000;
    await renewal().beat();
    assert.equal(calls, 2, 'tried again at once');
    assert.deepEqual(failed, [failure, failure]);
    time.t = 20_000;
    await renewal().beat();
    assert.equal(calls, 4);
    assert.deepEqual(lost, [], 'still valid for 10 s: not lost');
    assert.equal(renewal().cancelled, false);
    up = true;
    time.t = 25_000;
    await renewal().beat();
    assert.equal(calls, 5);
    // Renewed at 25 s: valid until 55 s, judged from when that renewal was sent.
    time.t = 50_000;
    up = false;
    await renewal().beat();
    assert.deepEqual(lost, []);
    assert.equal(failed.length, 6);
  });

  it('the lease is lost when it ran out with no renewal through, with the last failure as the cause; it is not renewed after', async () => {
    const failure = new Error('connection refused');
    let calls = 0;
    const { renewal, lost, time } = start(async () => { calls++; throw failure; });
    time.t = 10_000;
    await renewal().beat();
    time.t = 29_500; // within the margin before the lease ends (a tenth of it, at most 1 s)
    await renewal().beat();
    assert.equal(lost.length, 1);
    assert.match(lost[0]!.why, /ran out 30000 ms after its last renewal/);
    assert.equal(lost[0]!.cause, failure);
    assert.equal(renewal().cancelled, true);
    await renewal().beat();
    assert.equal(calls, 2, 'no renewal once the lease ran out');
    assert.equal(lost.length, 1);
  });

  it('judges the lease by the monotonic clock it is given, whatever the wall clock does', async () => {
    const { renewal, lost } = start(() => true, { clock: () => 5_000 });
    const realNow = Date.now;
    Date.now = () => realNow() + 3_600_000; // an hour ahead, as a stepped wall clock would be
    try {
      await renewal().beat();
    } finally {
      Date.now = realNow;
    }
    assert.deepEqual(lost, []);
  });

  it('after a failed renewal, the loss is noticed when the lease runs out, without waiting for a beat', async () => {
    const lost: string[] = [];
    const { schedule, renewals } = manualSchedule();
    startLeaseHeartbeat({ leaseMs: 300, label: 'short lease', schedule, renew: async () => { throw new Error('down'); }, lost: (why) => lost.push(why) });
    await renewals[0]!.beat();
    assert.deepEqual(lost, []);
    await eventually(() => lost.length === 1, 5000, 'the lease to run out');
    assert.equal(renewals[0]!.cancelled, true);
  });

  it('a lease taken again for the same work is renewed again, from when it was taken', async () => {
    let answer = false;
    const { heartbeat, renewal, renewals, lost, time } = start(() => answer);
    await renewal().beat();
    assert.equal(lost.length, 1);
    time.t = 12_000;
    heartbeat.retaken(11_000);
    assert.equal(renewals.length, 2, 'renewal resumes');
    answer = true;
    time.t = 39_000; // past the first lease (30 s), within the one taken at 11 s (41 s less the margin: 40 s)
    await renewal().beat();
    assert.equal(lost.length, 1);
    time.t = 40_500;
    answer = false;
    await renewal().beat();
    assert.equal(lost.length, 2);
  });

  it('skips a beat while the previous renewal is pending, and ignores an outcome that arrives after stop', async () => {
    const gate = new Latch();
    let renewed = 0;
    const { heartbeat, renewal, lost } = start(async () => { renewed++; await gate.promise; return false; });
    const first = renewal().beat();
    await renewal().beat();
    assert.equal(renewed, 1, 'overlapping beat skipped');
    heartbeat.stop(); // the work settled (complete/release ended the lease on purpose)
    gate.open();
    await first;
    assert.deepEqual(lost, []);
  });
});
