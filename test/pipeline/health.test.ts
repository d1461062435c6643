import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import type { EntryRecord, Admit, StorageError } from '../../lib';
import { STORAGE_FAILURE_WINDOW_MS } from '../../lib/ledger/storage-failures';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';

/** A memory store whose admit fails for ids starting with `fail-`, as a full disk fails a commit. */
function failingStorage(): MemoryStorage {
  const storage = new MemoryStorage();
  const admit = storage.admit.bind(storage);
  storage.admit = (record: EntryRecord, how: Admit) => {
    if (record.id.startsWith('fail-')) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    return admit(record, how);
  };
  return storage;
}

describe('health(): ok only when a delivery could be recorded now', function () {
  it('a delivery\'s storage failure keeps it not ok for 30 s by the receiver\'s clock, the probe passing', async function () {
    let clock = Date.UTC(2025, 6, 3, 9);
    const { app, webhooks } = testReceiver({ storage: failingStorage(), now: () => new Date(clock) });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });
    assert.equal((await webhooks.health()).ok, true);
    assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'fail-1' }))).status, 503);
    const failedAt = new Date(clock);
    const sick = await webhooks.health();
    assert.equal(sick.ok, false);
    assert.equal(sick.storage.ok, false);
    assert.equal(sick.storage.error, undefined);
    assert.deepEqual(sick.storage.recentFailure, {
      code: 'ERR_NTW_STORAGE_UNAVAILABLE', operation: 'admit', at: failedAt, error: (reported[0] as StorageError).message,
    });
    assert.match(sick.storage.recentFailure.error, /database or disk is full/);
    clock += STORAGE_FAILURE_WINDOW_MS - 1;
    assert.equal((await webhooks.health()).ok, false);
    clock += 1;
    const aged = await webhooks.health();
    assert.equal(aged.ok, true);
    assert.equal(aged.storage.recentFailure, undefined);
    await webhooks.close();
  });

  it('a delivery recorded since clears it; a duplicate answered from the ledger, which records nothing, does not', async function () {
    const storage = failingStorage();
    const first = testReceiver({ storage });
    const second = testReceiver({ storage }); // another instance: its cache does not know what the first ran
    assert.equal((await deliver(first.app, 'tokenex', tokenexBody({ id: 'ok-1' }))).status, 200);
    assert.equal((await deliver(second.app, 'tokenex', tokenexBody({ id: 'fail-2' }))).status, 503);
    const duplicate = await deliver(second.app, 'tokenex', tokenexBody({ id: 'ok-1' }));
    assert.equal(duplicate.status, 200);
    assert.equal(duplicate.body.duplicate, true);
    assert.equal((await second.webhooks.health()).storage.recentFailure?.operation, 'admit');
    assert.equal((await deliver(second.app, 'tokenex', tokenexBody({ id: 'ok-2' }))).status, 200);
    const healthy = await second.webhooks.health();
    assert.equal(healthy.ok, true);
    assert.equal(healthy.storage.recentFailure, undefined);
    assert.equal((await first.webhooks.health()).ok, true, 'each receiver counts its own deliveries');
    await Promise.all([first.webhooks.close(), second.webhooks.close()]);
  });

  it('asks the adapter\'s probe when it has one, instead of a read', async function () {
    const storage = new MemoryStorage();
    let reads = 0;
    const getTokenState = storage.getTokenState.bind(storage);
    storage.getTokenState = (provider, tokenRef) => { reads++; return getTokenState(provider, tokenRef); };
    let refusal: Error | undefined = new Error('READONLY You can\'t write against a read only replica.');
    const probing = Object.assign(storage, { probe: () => { if (refusal) throw refusal; } });
    const { webhooks } = testReceiver({ storage: probing });
    const sick = await webhooks.health();
    assert.equal(sick.ok, false);
    assert.match(sick.storage.error!, /read only replica/);
    refusal = undefined;
    assert.equal((await webhooks.health()).ok, true);
    assert.equal(reads, 0);
    await webhooks.close();
  });
});
