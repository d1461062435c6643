import assert from 'node:assert/strict';
import { FleetClock } from '../../lib/ledger/fleet-clock';

describe('delivery: the fleet clock', () => {
  it('without a storage clock is the instance\'s own', async () => {
    let local = 1_000_000;
    const clock = new FleetClock(() => new Date(local), undefined);
    await clock.sync();
    local += 40_000;
    assert.equal(clock.now().getTime(), 1_040_000);
    assert.equal(clock.offsetMs(), 0);
  });

  it('once read, follows the storage\'s clock by the monotonic clock: a step of the instance\'s clock does not move it', async () => {
    let local = Date.parse('2026-01-01T00:00:00Z');
    const storageTime = Date.now();
    const clock = new FleetClock(() => new Date(local), () => new Date(storageTime));
    assert.equal(clock.now().getTime(), local, 'before the first reading: the instance\'s clock');
    await clock.sync();
    const read = clock.now().getTime();
    assert.ok(read >= storageTime && read < storageTime + 1000);
    local += 40_000; // the wall clock steps
    const after = clock.now().getTime();
    assert.ok(after >= read && after < read + 1000, 'the step did not reach the fleet clock');
    assert.ok(Math.abs(clock.offsetMs() - (storageTime - local)) < 1000);
  });

  it('a reading that fails keeps the last one', async () => {
    let fail = false;
    const clock = new FleetClock(() => new Date(0), () => (fail ? Promise.reject(new Error('silent')) : new Date(5_000_000)));
    await clock.sync();
    fail = true;
    await assert.rejects(clock.sync(), /silent/);
    assert.ok(clock.now().getTime() >= 5_000_000);
  });
});
