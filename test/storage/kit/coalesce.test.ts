import assert from 'node:assert/strict';
import { Coalescer } from '../../../lib/storage/kit';
import type { CoalesceOptions } from '../../../lib/storage/kit';

/** A store whose statements the test answers by hand: every call of `one` and `many` is recorded and held. */
function heldStore(options: { inFlight: number; maxBatch?: number; maxBytes?: number; isolate?: (error: unknown) => boolean }) {
  const sent: { items: readonly number[]; answer: (results: readonly string[] | Error) => void }[] = [];
  const send = (items: readonly number[]) => new Promise<readonly string[]>((resolve, reject) => {
    sent.push({ items, answer: (results) => (results instanceof Error ? reject(results) : resolve(results)) });
  });
  const coalescer = new Coalescer<number, string>({
    inFlight: options.inFlight, maxBatch: options.maxBatch ?? 100, isolate: options.isolate ?? (() => false),
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes, size: (item: number) => item }),
    one: async (item) => (await send([item]))[0]!,
    many: send,
  } satisfies CoalesceOptions<number, string>);
  return { coalescer, sent };
}

const settled = <T>(promise: Promise<T>) => promise.then((value) => ({ value }), (error: Error) => ({ error: error.message }));
const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Call 0, sent alone at the end of its turn of the event loop, not yet answered (in an object: not awaited with it). */
async function sentAlone(coalescer: ReturnType<typeof heldStore>['coalescer']): Promise<{ first: Promise<string> }> {
  const first = coalescer.call(0);
  await tick();
  return { first };
}

/** Calls 1 and 2 made while call 0 is out alone, which is then answered: 1 and 2 leave together as the next batch. */
async function batchBehindFirst(coalescer: ReturnType<typeof heldStore>['coalescer'], sent: ReturnType<typeof heldStore>['sent']) {
  const { first } = await sentAlone(coalescer);
  const batch = [1, 2].map((n) => settled(coalescer.call(n)));
  sent[0]!.answer(['r0']);
  await first;
  await tick();
  return batch;
}
const coalescerBase = { one: async () => 1, many: async () => [1], isolate: () => false };

describe('Coalescer (the batches of concurrent storage writes)', function () {
  it('sends the calls made in one turn of the event loop together at its end, while fewer batches than inFlight are out', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 2 });
    const together = [coalescer.call(1), coalescer.call(2), coalescer.call(3)];
    assert.equal(sent.length, 0, 'nothing sent before the turn ends');
    await tick();
    assert.deepEqual(sent.map((s) => s.items), [[1, 2, 3]]);
    sent[0]!.answer(['r1', 'r2', 'r3']);
    assert.deepEqual(await Promise.all(together), ['r1', 'r2', 'r3']);
  });

  it('sends a call alone when it was the only one of its turn, and a second one beside it while fewer batches than inFlight are out', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 2 });
    const a = coalescer.call(1);
    await tick();
    const b = coalescer.call(2);
    await tick();
    assert.deepEqual(sent.map((s) => s.items), [[1], [2]], 'both sent before any answer, each alone');
    sent[1]!.answer(['two']);
    sent[0]!.answer(['one']);
    assert.deepEqual(await Promise.all([a, b]), ['one', 'two']);
    await tick();
    assert.equal(coalescer.inFlight, 0);
  });

  it('past inFlight, the calls waiting leave together in the next batch, each answered with its own result, in order', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 1 });
    const { first } = await sentAlone(coalescer);
    const waiting = [1, 2, 3, 4].map((n) => coalescer.call(n));
    await tick();
    assert.equal(sent.length, 1, 'nothing else sent while the first is out');
    assert.equal(coalescer.queued, 4);
    sent[0]!.answer(['r0']);
    assert.equal(await first, 'r0');
    await tick();
    assert.deepEqual(sent.map((s) => s.items), [[0], [1, 2, 3, 4]]);
    sent[1]!.answer(['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(await Promise.all(waiting), ['r1', 'r2', 'r3', 'r4']);
  });

  it('takes at most maxBatch calls a batch, and sends every call exactly once', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 1, maxBatch: 3 });
    const calls = Array.from({ length: 8 }, (_, n) => coalescer.call(n));
    for (let answered = 0; answered < sent.length || coalescer.queued > 0; answered++) {
      await tick();
      sent[answered]!.answer(sent[answered]!.items.map((n) => `r${n}`));
    }
    assert.deepEqual(sent.map((s) => s.items), [[0, 1, 2], [3, 4, 5], [6, 7]]);
    assert.deepEqual(await Promise.all(calls), calls.map((_, n) => `r${n}`));
    assert.deepEqual(sent.flatMap((s) => s.items).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7], 'each item sent once');
  });

  it('takes calls while their sizes add up to at most maxBytes, and always the first even when it alone is larger', async function () {
    // an item's size is its value: 0 + 1 + 2 + 3 fit in 6 bytes, 4 does not; 7 alone is over and still leaves
    const { coalescer, sent } = heldStore({ inFlight: 1, maxBytes: 6 });
    const calls = [0, 1, 2, 3, 4, 7, 1, 1].map((n) => coalescer.call(n));
    for (let answered = 0; answered < sent.length || coalescer.queued > 0; answered++) {
      await tick();
      sent[answered]!.answer(sent[answered]!.items.map((n) => `r${n}`));
    }
    assert.deepEqual(sent.map((s) => s.items), [[0, 1, 2, 3], [4], [7], [1, 1]]);
    assert.deepEqual(await Promise.all(calls), [0, 1, 2, 3, 4, 7, 1, 1].map((n) => `r${n}`));
  });

  it('a batch failed for one item\'s sake: each item sent again on its own, so only the bad one fails', async function () {
    const poison = Object.assign(new Error('invalid byte sequence'), { code: '22021' });
    const { coalescer, sent } = heldStore({ inFlight: 1, isolate: (error) => (error as { code?: string }).code?.startsWith('22') === true });
    const { first } = await sentAlone(coalescer);
    const batch = [1, 2, 3].map((n) => settled(coalescer.call(n)));
    sent[0]!.answer(['r0']);
    await first;
    await tick();
    sent[1]!.answer(poison);
    await tick();
    assert.deepEqual(sent.slice(2).map((s) => s.items), [[1], [2], [3]], 'each item on its own');
    sent[2]!.answer(['r1']);
    sent[3]!.answer(poison);
    sent[4]!.answer(['r3']);
    assert.deepEqual(await Promise.all(batch), [{ value: 'r1' }, { error: 'invalid byte sequence' }, { value: 'r3' }]);
  });

  it('any other failure of a batch (a lost connection, a timeout) fails each of its callers, once, and the next batch still leaves', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 1 });
    const batch = await batchBehindFirst(coalescer, sent);
    const after = coalescer.call(3);
    sent[1]!.answer(new Error('Connection terminated'));
    assert.deepEqual(await Promise.all(batch), [{ error: 'Connection terminated' }, { error: 'Connection terminated' }]);
    await tick();
    assert.deepEqual(sent.map((s) => s.items), [[0], [1, 2], [3]], 'nothing sent again');
    sent[2]!.answer(['r3']);
    assert.equal(await after, 'r3');
  });

  it('a batch answered with the wrong number of results fails its callers rather than answer one with another\'s', async function () {
    const { coalescer, sent } = heldStore({ inFlight: 1 });
    const batch = await batchBehindFirst(coalescer, sent);
    sent[1]!.answer(['only one']);
    for (const outcome of await Promise.all(batch)) assert.match((outcome as { error: string }).error, /a batch of 2 answered 1 results/);
  });

  it('a statement that throws before it is sent fails its callers, not the coalescer', async function () {
    let calls = 0;
    const coalescer = new Coalescer<number, number>({
      inFlight: 1, maxBatch: 10, isolate: () => false,
      one: (n) => { calls++; if (n < 0) throw new Error('refused'); return Promise.resolve(n * 2); },
      many: (items) => Promise.resolve(items.map((n) => n * 2)),
    });
    await assert.rejects(coalescer.call(-1), /refused/);
    assert.equal(await coalescer.call(4), 8);
    assert.equal(calls, 2);
  });

  it('fails, without sending them, the calls that waited past maxWaitMs when the next batch leaves', async function () {
    let clock = 0;
    const sent: number[][] = [];
    const answers: ((results: readonly string[]) => void)[] = [];
    const coalescer = new Coalescer<number, string>({
      inFlight: 1, maxBatch: 10, maxWaitMs: 100, now: () => clock, isolate: () => false,
      one: (item) => new Promise<readonly string[]>((resolve) => { sent.push([item]); answers.push(resolve); }).then((r) => r[0]!),
      many: (items) => new Promise<readonly string[]>((resolve) => { sent.push([...items]); answers.push(resolve); }),
    });
    const first = coalescer.call(0); // out, unanswered (a silent connection)
    await tick();
    const late = [1, 2].map((n) => settled(coalescer.call(n)));
    clock = 150;
    const inTime = coalescer.call(3);
    clock = 200;
    answers[0]!(['r0']);
    assert.equal(await first, 'r0');
    for (const outcome of await Promise.all(late)) assert.match((outcome as { error: string }).error, /waited over 100 ms/);
    await tick();
    assert.deepEqual(sent, [[0], [3]], 'the late calls never sent');
    answers[1]!(['r3']);
    assert.equal(await inTime, 'r3');
    assert.throws(() => new Coalescer({ ...coalescerBase, inFlight: 1, maxBatch: 1, maxWaitMs: 0 }), RangeError);
  });

  it('refuses an inFlight or maxBatch below 1, and a maxBytes not above 0 or without a size', function () {
    assert.throws(() => new Coalescer({ ...coalescerBase, inFlight: 0, maxBatch: 1 }), RangeError);
    assert.throws(() => new Coalescer({ ...coalescerBase, inFlight: 1, maxBatch: 0 }), RangeError);
    assert.throws(() => new Coalescer({ ...coalescerBase, inFlight: 1, maxBatch: 1, maxBytes: 0, size: () => 1 }), RangeError);
    assert.throws(() => new Coalescer({ ...coalescerBase, inFlight: 1, maxBatch: 1, maxBytes: 10 }), RangeError);
  });
});
