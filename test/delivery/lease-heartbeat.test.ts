import assert from 'node:assert/strict';
import { startLeaseHeartbeat } from '../../lib/delivery/lease-heartbeat';
import { Latch } from '../delivery/support';
import { manualSchedule } from '../helpers/manual-schedule';

describe('lease heartbeat', () => {
  const start = (renew: () => boolean | Promise<boolean>, lost: unknown[] = []) => {
    const { schedule, renewals } = manualSchedule();
    const stop = startLeaseHeartbeat({ leaseMs: 30_000, renew, lost: (e) => lost.push(e), label: 'test lease', schedule });
    assert.equal(renewals.length, 1);
    return { stop, renewal: renewals[0]!, lost };
  };

  it('renews every third of the lease until stopped', async () => {
    let renewed = 0;
    const { stop, renewal, lost } = start(() => { renewed++; return true; });
    assert.equal(renewal.intervalMs, 10_000);
    await renewal.beat();
    await renewal.beat();
    assert.equal(renewed, 2);
    stop();
    assert.equal(renewal.cancelled, true);
    await renewal.beat();
    assert.equal(renewed, 2, 'no renewal after stop');
    assert.deepEqual(lost, []);
  });

  it('a renewal answering false is reported once and renewal stops', async () => {
    let renewed = 0;
    const { renewal, lost } = start(() => { renewed++; return false; });
    await renewal.beat();
    assert.equal(renewal.cancelled, true);
    await renewal.beat();
    assert.equal(renewed, 1);
    assert.equal(lost.length, 1);
    assert.match((lost[0] as Error).message, /lease of test lease was lost/);
  });

  it('a renewal that throws is reported once, with its error, and renewal stops', async () => {
    const failure = new Error('database down');
    const { renewal, lost } = start(async () => { throw failure; });
    await renewal.beat();
    await renewal.beat();
    assert.deepEqual(lost, [failure]);
    assert.equal(renewal.cancelled, true);
  });

  it('skips a beat while the previous renewal is pending, and ignores an outcome that arrives after stop', async () => {
    const gate = new Latch();
    let renewed = 0;
    const { stop, renewal, lost } = start(async () => { renewed++; await gate.promise; return false; });
    const first = renewal.beat();
    await renewal.beat();
    assert.equal(renewed, 1, 'overlapping beat skipped');
    stop(); // the work settled (complete/release ended the lease on purpose)
    gate.open();
    await first;
    assert.deepEqual(lost, []);
  });
});
