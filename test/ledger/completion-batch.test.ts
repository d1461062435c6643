import assert from 'node:assert/strict';
import { MemoryStorage, StorageError } from '../../lib';
import type { OwnedSettlement, Storage } from '../../lib';
import { LedgerClient } from '../../lib/ledger/client';
import { CompletionBatch } from '../../lib/ledger/completion-batch';
import { Telemetry } from '../../lib/telemetry/telemetry';

/** A memory store whose `settleMany` calls the test answers by hand: each call's settlements recorded and held. */
function heldBatches() {
  const storage: Storage = new MemoryStorage();
  const calls: { settlements: readonly OwnedSettlement[]; answer: (result: boolean[] | Error) => void }[] = [];
  storage.settleMany = (settlements) => new Promise<boolean[]>((resolve, reject) => {
    calls.push({ settlements, answer: (result) => (result instanceof Error ? reject(result) : resolve(result)) });
  });
  const reported: unknown[] = [];
  const client = new LedgerClient({
    storage, storageTimeoutMs: 60_000, now: () => new Date(), clockSkewMs: 60_000, telemetry: new Telemetry(false),
    reportError: (...report) => { reported.push(report[0]); },
  });
  return { batch: new CompletionBatch(client, new Telemetry(false)), calls, reported, client };
}

const settled = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: unknown) => ({ error }));
const key = (id: string) => ({ provider: 'p', id });
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

describe('CompletionBatch: the worker\'s completions through settleMany, one call at a time', function () {
  it('the first goes at once, alone; those completing meanwhile go together next; each answered for its own', async function () {
    const { batch, calls, client } = heldBatches();
    await client.initialize();
    const first = batch.settle(key('a'), 'o', { status: 'done' });
    await until(() => calls.length === 1);
    const rest = ['b', 'c', 'd'].map((id) => batch.settle(key(id), 'o', { status: 'dead', error: 'card 4111 1111 1111 1111 refused' }));
    assert.deepEqual(calls.map((c) => c.settlements.map((s) => s.key.id)), [['a']], 'one call out at a time');
    calls[0]!.answer([true]);
    assert.equal(await first, true);
    await until(() => calls.length === 2);
    assert.deepEqual(calls[1]!.settlements.map((s) => s.key.id), ['b', 'c', 'd']);
    const error = calls[1]!.settlements[0]!.settlement.status === 'dead' ? calls[1]!.settlements[0]!.settlement.error : '';
    assert.doesNotMatch(error, /4111/, 'errors stored as storedSettlement makes them');
    calls[1]!.answer([true, false]); // an answer short of one: that one counts as not recorded
    assert.deepEqual(await Promise.all(rest), [true, false, false]);
  });

  it('a failed call rejects each of its runs with one StorageError, reported once, and is not sent again item by item', async function () {
    const { batch, calls, reported, client } = heldBatches();
    await client.initialize();
    const first = batch.settle(key('a'), 'o', { status: 'done' });
    await until(() => calls.length === 1);
    const rest = ['b', 'c'].map((id) => settled(batch.settle(key(id), 'o', { status: 'done' })));
    calls[0]!.answer([true]);
    await first;
    await until(() => calls.length === 2);
    calls[1]!.answer(new Error('connection reset'));
    const outcomes = await Promise.all(rest);
    assert.ok(outcomes.every((o) => 'error' in o && o.error instanceof StorageError && o.error.operation === 'settleMany'));
    assert.equal((outcomes[0] as { error: unknown }).error, (outcomes[1] as { error: unknown }).error, 'one failure for the batch');
    assert.equal(reported.length, 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.length, 2, 'no call after the failed one');
  });
});
