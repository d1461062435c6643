import assert from 'node:assert/strict';
import type { EntryRecord, Storage } from '../../lib';

/** What the group commit tests of every adapter admit: one Cybersource event, its token `tok-<id>` unless given. */
export const record = (id: string, tokenRef = `tok-${id}`): EntryRecord => ({
  provider: 'cybersource', id, type: 'token.active', tokenRef, state: 'ACTIVE', occurredAt: new Date(1000), receivedAt: new Date(2000),
  fingerprint: 'f', body: '{}',
});
export const running = { as: 'running', owner: 'o', leaseMs: 60_000 } as const;

/**
 * 200 concurrent admits, 5 copies each of 40 ids interleaved, tokens shared by several ids: exactly one admitted per
 * id, each caller answered for its own event, each later copy recorded, each token counted once.
 */
export async function admitConcurrentCopies(storage: Storage): Promise<void> {
  const ids = Array.from({ length: 200 }, (_, n) => `e${n % 40}`);
  const admissions = await Promise.all(ids.map((id, n) => storage.admit(record(id, `tok-${n % 40 % 7}`), running)));
  admissions.forEach((admission, n) => assert.equal(admission.entry.id, ids[n], 'each caller gets its own event'));
  const admitted = new Map<string, number>();
  for (const [n, admission] of admissions.entries()) if (admission.admitted) admitted.set(ids[n]!, (admitted.get(ids[n]!) ?? 0) + 1);
  assert.equal(admitted.size, 40);
  assert.deepEqual([...new Set(admitted.values())], [1], 'one admission per id');
  for (const id of ['e0', 'e17', 'e39']) {
    assert.equal((await storage.getHistory!({ provider: 'cybersource', id })).copies.length, 4, 'each later copy recorded');
  }
  const counts = await storage.stats!({ since: new Date(0), until: new Date(1) });
  assert.equal(counts.tokens.reduce((sum, t) => sum + t.count, 0), 7, 'each token counted once');
}

/** `done` for `e0`…`e39` (admitted by `admitConcurrentCopies`) and one missing id, at once: each caller answered for its own entry. */
export async function settleConcurrently(storage: Storage): Promise<void> {
  const settled = await Promise.all([...Array.from({ length: 40 }, (_, n) => `e${n}`), 'missing'].map((id) => storage.settle({ provider: 'cybersource', id }, 'o', { status: 'done' })));
  assert.deepEqual(settled, [...Array.from({ length: 40 }, () => true), false], 'each settle answered for its own entry');
  for (const id of ['e0', 'e39']) {
    assert.equal((await storage.getEntry({ provider: 'cybersource', id }))?.status, 'done');
    assert.deepEqual((await storage.getHistory!({ provider: 'cybersource', id })).attempts.map((a) => [a.attempt, a.outcome]), [[1, 'done']]);
  }
}

/**
 * Two instances on one store admitting copies of the same 120 ids at once, states changing on 9 shared tokens: each
 * id admitted once across both, every token counted once, in one state.
 */
export async function admitFromTwoInstances(a: Storage, b: Storage): Promise<void> {
  const states = ['ACTIVE', 'SUSPENDED', 'DELETED', 'INACTIVE'] as const;
  const ids = Array.from({ length: 120 }, (_, n) => `m${n}`);
  const copy = (id: string, n: number) => ({ ...record(id, `tok-${n % 9}`), state: states[n % 4]!, occurredAt: new Date(1000 + n) });
  const admissions = await Promise.all([a, b].flatMap((storage) => ids.map((id, n) => storage.admit(copy(id, n), running))));
  const admitted = new Map<string, number>();
  for (const admission of admissions) if (admission.admitted) admitted.set(admission.entry.id, (admitted.get(admission.entry.id) ?? 0) + 1);
  assert.equal(admitted.size, ids.length);
  assert.deepEqual([...new Set(admitted.values())], [1], 'one admission per id across both instances');
  const tokens = (await a.stats!({ since: new Date(0), until: new Date(1) })).tokens;
  assert.equal(tokens.reduce((sum, t) => sum + t.count, 0), 9, 'each token counted once, in one state');
}

/**
 * 30 concurrent admits of 200,000-byte bodies: each admitted, its body kept whole, and each batch (the sizes
 * `batchSizes` answers: admits per statement or script call) carrying at most 5 of them, the most under the
 * 1 MiB bound on the bodies a batch carries.
 */
async function admitLargeBodies(storage: Storage, batchSizes: () => readonly number[]): Promise<void> {
  const body = (n: number) => JSON.stringify({ id: `big${n}`, padding: 'x'.repeat(200_000 - 30) });
  const admissions = await Promise.all(Array.from({ length: 30 }, (_, n) => storage.admit({ ...record(`big${n}`), body: body(n) }, running)));
  assert.ok(admissions.every((a) => a.admitted), 'each admitted');
  for (const n of [0, 29]) assert.equal((await storage.getEntry({ provider: 'cybersource', id: `big${n}` }))?.body, body(n));
  const sizes = batchSizes();
  assert.equal(sizes.reduce((sum, size) => sum + size, 0), 30, 'each admit sent once');
  assert.ok(sizes.some((size) => size > 1), `the admits went in batches: ${sizes.join(', ')}`);
  assert.ok(sizes.every((size) => size <= 5), `at most 5 bodies of 200,000 bytes a batch: ${sizes.join(', ')}`);
}

/**
 * 10 admits made in one turn of the event loop on an idle store (the requests read together): one batch of 10, not
 * the first alone and the other 9 behind it. `batchSizes` answers the admits per statement or script call.
 */
async function admitOneTurn(storage: Storage, batchSizes: () => readonly number[]): Promise<void> {
  const admissions = await Promise.all(Array.from({ length: 10 }, (_, n) => storage.admit(record(`turn${n}`), running)));
  assert.ok(admissions.every((a) => a.admitted));
  assert.deepEqual(batchSizes(), [10]);
}

/** A storage on a recorded client, and its batches: `batchesFromNow()` answers the admits each batch carried since it was called. */
export interface RecordedBatches {
  readonly storage: Storage;
  batchesFromNow(): () => readonly number[];
  close(): Promise<void>;
}

/** The cases on the size of batches, for an adapter whose batches are `unit`s (a statement, a script call). */
export function batchSizeCases(unit: string, open: () => RecordedBatches): void {
  const on = async (admitCase: (storage: Storage, batchSizes: () => readonly number[]) => Promise<void>) => {
    const recorded = open();
    try {
      await recorded.storage.init?.();
      await admitCase(recorded.storage, recorded.batchesFromNow());
    } finally {
      await recorded.storage.close?.();
      await recorded.close();
    }
  };
  it(`the admits made in one turn of the event loop on an idle store leave together, in one ${unit}`, () => on(admitOneTurn));
  it(`a batch carries at most 1 MiB of bodies: concurrent admits of 200,000-byte bodies go at most 5 a ${unit}`, () => on(admitLargeBodies));
}

/** The entries stored are `ids` but the one at `failed`: a batch holding an entry that failed stored the others. */
export async function storedAllBut(storage: Storage, ids: readonly string[], failed: number): Promise<void> {
  const stored = await storage.listEntries({ limit: 100 });
  assert.deepEqual(stored.map((e) => e.id).sort(), ids.filter((_, n) => n !== failed).sort());
}

/** 20 concurrent admits of `s0`…`s19` (`groupCommit: false`: each its own call), each admitted. */
export async function admitTwenty(storage: Storage): Promise<void> {
  const admissions = await Promise.all(Array.from({ length: 20 }, (_, n) => storage.admit(record(`s${n}`), running)));
  assert.equal(admissions.filter((a) => a.admitted).length, 20);
}
