import { MemoryStorage } from '../../lib';
import { runStorageConformance } from '../../lib/testing/storage-conformance';

// The suite's first name, under mocha (the other adapters run it from the storage kit).
runStorageConformance('MemoryStorage', () => new MemoryStorage());

import assert from 'node:assert/strict';
import type { EntryRecord, EventKey } from '../../lib';
import { ConfigurationError } from '../../lib';

describe('MemoryStorage bounds', function () {
  const T0 = Date.UTC(2025, 6, 3, 9, 0, 0);
  const record = (id: string, tokenRef = `tok-${id}`): EntryRecord => ({
    provider: 'p', id, type: 'token.active', tokenRef, state: 'ACTIVE',
    occurredAt: new Date(T0), receivedAt: new Date(T0), fingerprint: `fp-${id}`, body: '{}',
  });
  const key = (id: string): EventKey => ({ provider: 'p', id });
  const run = (owner: string) => ({ as: 'running' as const, owner, leaseMs: 60_000 });
  const finish = (storage: MemoryStorage, id: string) => {
    assert.equal(storage.admit(record(id), run(`o-${id}`)).admitted, true);
    assert.equal(storage.settle(key(id), `o-${id}`, { status: 'done' }), true);
  };

  it('keeps at most maxEntries finished entries, forgetting the least recently finished or seen first', function () {
    const storage = new MemoryStorage({ maxEntries: 3 });
    for (const id of ['a', 'b', 'c']) finish(storage, id);
    assert.equal(storage.admit(record('a'), run('x')).admitted, false, 'a duplicate of a: seen again, forgotten last');
    finish(storage, 'd');
    assert.equal(storage.getEntry(key('b')), undefined, 'b was the least recently finished or seen');
    for (const id of ['a', 'c', 'd']) assert.equal(storage.getEntry(key(id))?.status, 'done', id);
    assert.equal(storage.admit(record('b'), run('y')).admitted, true, 'a forgotten event is new again, as after a restart');
  });

  it('never forgets an unfinished or quarantined entry, however many events finish after it', function () {
    const storage = new MemoryStorage({ maxEntries: 2 });
    storage.admit(record('running'), run('r'));
    storage.admit(record('pending'), { as: 'pending' });
    storage.admit(record('quarantined'), { as: 'quarantined', error: 'unreadable' });
    storage.admit(record('failed'), run('f'));
    storage.settle(key('failed'), 'f', { status: 'failed', error: 'boom', retryInMs: 0 });
    storage.admit(record('dead'), run('d'));
    storage.settle(key('dead'), 'd', { status: 'dead', error: 'boom' });
    for (let i = 0; i < 50; i++) finish(storage, `done-${i}`);
    const expected = { running: 'running', pending: 'pending', quarantined: 'quarantined', failed: 'failed', dead: 'dead' };
    for (const [id, status] of Object.entries(expected)) assert.equal(storage.getEntry(key(id))?.status, status, id);
    assert.equal(storage.listEntries({ status: 'done', limit: 1000 }).length, 2);
    assert.deepEqual(storage.listEntries({ status: 'done', limit: 1000 }).map((e) => e.id).sort(), ['done-48', 'done-49']);
  });

  it('a requeued entry is unfinished again until it settles', function () {
    const storage = new MemoryStorage({ maxEntries: 1 });
    finish(storage, 'a');
    assert.deepEqual(storage.requeue('a'), [key('a')]);
    for (let i = 0; i < 5; i++) finish(storage, `b-${i}`);
    assert.equal(storage.getEntry(key('a'))?.status, 'pending');
  });

  it('keeps at most maxTokenStates token states, forgetting the least recently updated first', function () {
    const storage = new MemoryStorage({ maxTokenStates: 2 });
    finish(storage, 'e1');
    finish(storage, 'e2');
    storage.admit(record('e3', 'tok-e1'), run('o3'));
    finish(storage, 'e4');
    assert.equal(storage.getTokenState('p', 'tok-e2'), undefined);
    assert.equal(storage.getTokenState('p', 'tok-e1')?.state, 'ACTIVE');
    assert.equal(storage.getTokenState('p', 'tok-e4')?.state, 'ACTIVE');
  });

  it('holds 10,000 finished entries and 10,000 token states by default', function () {
    const storage = new MemoryStorage();
    for (let i = 0; i < 10_050; i++) finish(storage, `e${i}`);
    assert.equal(storage.getEntry(key('e49')), undefined);
    assert.equal(storage.getEntry(key('e50'))?.status, 'done');
    assert.equal(storage.getTokenState('p', 'tok-e49'), undefined);
    assert.equal(storage.getTokenState('p', 'tok-e50')?.state, 'ACTIVE');
  });

  it('refuses unknown option names and bounds that are not whole numbers of 1 or more', function () {
    assert.throws(() => new MemoryStorage({ maxEntrie: 5 } as never), (e: unknown) => e instanceof ConfigurationError
      && e.code === 'ERR_NTW_UNKNOWN_OPTION' && /"maxEntries"/.test(e.message));
    for (const bad of [0, -1, 1.5, Number.NaN, '10' as unknown as number]) {
      assert.throws(() => new MemoryStorage({ maxEntries: bad }), (e: unknown) => e instanceof ConfigurationError && e.code === 'ERR_NTW_OPTION', String(bad));
    }
    assert.doesNotThrow(() => new MemoryStorage({ maxEntries: Infinity, maxTokenStates: Infinity }));
  });

  it('hands out entries and token states that a caller cannot change in the store', function () {
    const storage = new MemoryStorage();
    finish(storage, 'a');
    const entry = storage.getEntry(key('a'))! as { status: string };
    assert.throws(() => { entry.status = 'pending'; }, TypeError);
    const [listed] = storage.listEntries() as { tokenRef: string }[];
    assert.throws(() => { listed!.tokenRef = 'other'; }, TypeError);
    const state = storage.getTokenState('p', 'tok-a')! as { state: string };
    assert.throws(() => { state.state = 'DELETED'; }, TypeError);
    assert.equal(storage.getEntry(key('a'))?.status, 'done');
    assert.equal(storage.listEntries()[0]?.tokenRef, 'tok-a');
    assert.equal(storage.getTokenState('p', 'tok-a')?.state, 'ACTIVE');
  });
});
