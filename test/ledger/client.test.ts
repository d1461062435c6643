import assert from 'node:assert/strict';
import { MemoryStorage, StorageError } from '../../lib';
import type { Admit, EntryRecord } from '../../lib';
import { resolveOptions } from '../../lib/options';
import { createLedger } from '../../lib/ledger/create-ledger';
import { LedgerWorker } from '../../lib/ledger/worker';
import { Telemetry } from '../../lib/telemetry/telemetry';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';

/** A memory store whose admit fails for ids starting with `fail-`, and whose listing always fails. */
function failingStorage(): MemoryStorage {
  const storage = new MemoryStorage();
  const admit = storage.admit.bind(storage);
  storage.admit = (record: EntryRecord, how: Admit) => {
    if (record.id.startsWith('fail-')) throw new Error('database or disk is full');
    return admit(record, how);
  };
  storage.listEntries = () => { throw new Error('relation "entries" is locked'); };
  return storage;
}

describe('the ledger\'s client: every storage call in one place', function () {
  it('a delivery\'s failed call reaches onError once; a method\'s rejects with the StorageError, and onError is not told', async function () {
    const { app, webhooks } = testReceiver({ storage: failingStorage() });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });

    assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: 'fail-1' }))).status, 503);
    assert.equal(reported.length, 1);
    assert.ok(reported[0] instanceof StorageError);
    assert.equal(reported[0].operation, 'admit');

    const rejection = await webhooks.listEvents().then(() => undefined, (error: unknown) => error);
    assert.ok(rejection instanceof StorageError, `a StorageError, got ${String(rejection)}`);
    assert.equal(rejection.code, 'ERR_NTW_STORAGE_UNAVAILABLE');
    assert.equal(rejection.operation, 'listEntries');
    assert.match(rejection.message, /relation "entries" is locked/);
    assert.equal((rejection.cause as Error).message, 'relation "entries" is locked');
    assert.equal(reported.length, 1, 'the caller heard of it: onError does not');
    await webhooks.close();
  });

  it('a failed read is not a delivery\'s failure: health() stays ok', async function () {
    const { webhooks } = testReceiver({ storage: failingStorage() });
    await assert.rejects(webhooks.listEvents(), StorageError);
    const health = await webhooks.health();
    assert.equal(health.ok, true);
    assert.equal(health.storage.recentFailure, undefined);
    await webhooks.close();
  });

  it('initializes the storage once, on the first call whichever it is; an init that failed is tried again by the next call', async function () {
    const storage = new MemoryStorage();
    let inits = 0;
    let failNext = true;
    Object.assign(storage, {
      init: () => {
        inits++;
        if (failNext) {
          failNext = false;
          throw new Error('connection refused');
        }
      },
    });
    const { webhooks } = testReceiver({ storage });
    const failed = await webhooks.getTokenState('tokenex', 'tok-1').then(() => undefined, (error: unknown) => error);
    assert.ok(failed instanceof StorageError);
    assert.equal(failed.operation, 'init');
    assert.match(failed.message, /connection refused/);
    await Promise.all([webhooks.getTokenState('tokenex', 'tok-1'), webhooks.listEvents(), webhooks.prune(), webhooks.health()]);
    assert.equal(inits, 2, 'once failed, then once for four calls at a time');
    await webhooks.listEvents();
    assert.equal(inits, 2);
    await webhooks.close();
  });

  it('the worker exists only in inbox mode', function () {
    const hooks = { telemetry: new Telemetry(false), reportError: () => undefined };
    const sync = createLedger(resolveOptions({ pruneIntervalMs: false }), hooks);
    assert.equal(sync.inbox, undefined);
    const inbox = createLedger(resolveOptions({ mode: 'inbox', pruneIntervalMs: false }), hooks);
    assert.ok(inbox.inbox instanceof LedgerWorker);
  });
});
