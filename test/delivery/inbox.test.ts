import assert from 'node:assert/strict';
import { MemoryStorage, createTokenWebhooks } from '../../lib';
import type { TokenEvent, TokenWebhooksOptions } from '../../lib';
import { backoffDelay } from '../../lib/ledger/backoff';
import { testReceiver } from '../helpers/app';
import { fixture } from '../helpers/fixtures';
import { Latch, eventually, instrumented, post, tokenexBody, turns } from './support';

/** A store as one without the batch methods (`leaseMany`, `settleMany`) sees the worker: one lease, one settle per entry. */
const withoutBatches = <S extends object>(storage: S): S => new Proxy(storage, {
  get: (target, property) => (property === 'leaseMany' || property === 'settleMany' ? undefined : Reflect.get(target, property, target) as unknown),
});

const T0 = Date.UTC(2025, 0, 1);

/** A clock the test moves by hand: the storage judges leases and due times by it, the receiver dates events by it. */
function clock() {
  let t = T0;
  return { now: () => new Date(t), ms: () => t, advance: (ms: number) => { t += ms; } };
}

function inboxReceiver(options: Omit<TokenWebhooksOptions, 'mode'> = {}) {
  return testReceiver({ ...options, mode: 'inbox' as const, inbox: { pollIntervalMs: false as const, random: () => 0.5, ...options.inbox } });
}

describe('delivery: inbox mode', () => {
  it('acknowledges once the event is stored, before the handlers run; duplicates are answered without a second entry', async () => {
    const storage = new MemoryStorage();
    const { app, webhooks } = inboxReceiver({ storage });
    const events: TokenEvent[] = [];
    webhooks.onEvent((e) => { events.push(e); });
    const body = tokenexBody({ id: 'evt-inbox-ack' });

    const res = await post(app, 'tokenex', body);
    assert.equal(res.status, 200);
    assert.equal((res.body as { duplicate: boolean }).duplicate, false);
    assert.equal(events.length, 0);
    assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-inbox-ack' })?.status, 'pending');
    assert.equal((await post(app, 'tokenex', body)).body.duplicate, true);

    assert.equal(await webhooks.processInbox(), 1);
    assert.equal(events.length, 1);
    assert.ok(events[0]!.occurredAt instanceof Date && events[0]!.receivedAt instanceof Date);
    assert.equal(events[0]!.tokenRef, 'b2b92b5b-403d-4bd8-a756-6e415b86b291');
    assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-inbox-ack' })?.status, 'done');
    assert.equal((await webhooks.getTokenState('tokenex', 'b2b92b5b-403d-4bd8-a756-6e415b86b291'))?.state, 'ACTIVE');
    assert.equal(await webhooks.processInbox(), 0);
    assert.equal(events.length, 1);
  });

  it('no success answer before admit() resolved; a failed admit is 503 and nothing is acknowledged', async () => {
    const gate = new Latch();
    let stored = false;
    let fail = true;
    const storage = instrumented(new MemoryStorage(), {
      before: async (m) => {
        if (m !== 'admit') return;
        if (fail) { fail = false; throw new Error('disk full'); }
        await gate.promise;
      },
      after: (m) => { if (m === 'admit') stored = true; },
    });
    const { app } = inboxReceiver({ storage });
    const body = tokenexBody({ id: 'evt-inbox-durable' });
    const failed = await post(app, 'tokenex', body);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers['retry-after'], '5');
    let storedWhenAnswered: boolean | undefined;
    const answered = post(app, 'tokenex', body).then((res) => { storedWhenAnswered = stored; return res; });
    await turns(30);
    assert.equal(storedWhenAnswered, undefined);
    gate.open();
    assert.equal((await answered).status, 200);
    assert.equal(storedWhenAnswered, true);
  });

  it('retries with exponential backoff and jitter, goes dead after maxAttempts, and replay() runs it again', async () => {
    const time = clock();
    const storage = new MemoryStorage({ now: time.ms });
    const { app, webhooks } = inboxReceiver({ storage, now: time.now, inbox: { maxAttempts: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000 } });
    let fail = true;
    let runs = 0;
    const errors: unknown[] = [];
    webhooks.onSuspended(() => { runs++; if (fail) throw new Error('crm down'); })
      .onEvent(() => { if (fail) throw new Error('ledger down'); })
      .onError((error) => { errors.push(error); });
    const key = { provider: 'tokenex', id: 'evt-inbox-dead' };
    assert.equal((await post(app, 'tokenex', tokenexBody({ id: key.id, state: 'SUSPENDED' }))).status, 200);

    assert.equal(await webhooks.processInbox(), 1);
    assert.ok(errors[0] instanceof AggregateError, 'several failing handlers arrive as one AggregateError');
    let entry = storage.getEntry(key)!;
    assert.equal(entry.status, 'failed');
    assert.equal(entry.attempts, 1);
    // jitter 0.5 of [500, 1000] → 750 ms after the first failure
    assert.equal(entry.dueAt.getTime() - time.now().getTime(), 750);
    assert.match(entry.lastError ?? '', /handlers failed/);

    assert.equal(await webhooks.processInbox(), 0, 'not due yet');
    time.advance(750);
    assert.equal(await webhooks.processInbox(), 1);
    entry = storage.getEntry(key)!;
    assert.equal(entry.dueAt.getTime() - time.now().getTime(), 1500, 'doubled');
    time.advance(1500);
    assert.equal(await webhooks.processInbox(), 1);
    entry = storage.getEntry(key)!;
    assert.equal(entry.status, 'dead');
    assert.equal(entry.attempts, 3);
    assert.equal(runs, 3);
    time.advance(3_600_000);
    assert.equal(await webhooks.processInbox(), 0, 'dead letters are not retried');
    assert.deepEqual((await webhooks.listDeadLetters()).map((e) => e.id), [key.id]);

    fail = false;
    assert.equal(await webhooks.replay(key.id), 1);
    assert.equal(await webhooks.processInbox(), 1);
    assert.equal(storage.getEntry(key)?.status, 'done');
    assert.equal(runs, 4);
    assert.deepEqual(await webhooks.listDeadLetters(), []);
    assert.equal(await webhooks.replay('no-such-event'), 0);
  });

  it('an instance that died mid-handler leaves a lease that expires: another instance runs the event', async () => {
    const time = clock();
    const storage = new MemoryStorage({ now: time.ms });
    const a = inboxReceiver({ storage, now: time.now, leaseMs: 5000, storageTimeoutMs: 1000 });
    const b = inboxReceiver({ storage, now: time.now, leaseMs: 5000, storageTimeoutMs: 1000 });
    const entered = new Latch();
    a.webhooks.onEvent(async () => { entered.open(); await new Latch().promise; }); // "killed": never returns
    let runsOnB = 0;
    b.webhooks.onEvent(() => { runsOnB++; });
    await post(a.app, 'tokenex', tokenexBody({ id: 'evt-inbox-crash' })).expect(200);
    void a.webhooks.processInbox();
    await entered.promise;
    assert.equal(await b.webhooks.processInbox(), 0, 'leased by a: b must not take it');
    time.advance(5001);
    assert.equal(await b.webhooks.processInbox(), 1);
    assert.equal(runsOnB, 1);
    assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-inbox-crash' })?.status, 'done');
  });

  it('pending events resume by themselves on restart', async () => {
    const storage = new MemoryStorage();
    const first = inboxReceiver({ storage });
    await post(first.app, 'tokenex', tokenexBody({ id: 'evt-inbox-restart-1' })).expect(200);
    await post(first.app, 'tokenex', tokenexBody({ id: 'evt-inbox-restart-2' })).expect(200);
    await first.webhooks.close();

    const ids: string[] = [];
    const restarted = inboxReceiver({ storage, inbox: { pollIntervalMs: 10 } });
    restarted.webhooks.onEvent((e) => { ids.push(e.id); });
    await eventually(() => ids.length === 2, 5000, 'the pending events to run');
    assert.deepEqual(ids.sort(), ['evt-inbox-restart-1', 'evt-inbox-restart-2']);
    await restarted.webhooks.close();
  });

  it('does not run pending events before it is mounted (or ready()), so handlers registered late still get them', async () => {
    const storage = new MemoryStorage();
    const first = inboxReceiver({ storage });
    await post(first.app, 'tokenex', tokenexBody({ id: 'evt-inbox-late-1' })).expect(200);
    await first.webhooks.close();

    const restarted = createTokenWebhooks({ storage, mode: 'inbox', pruneIntervalMs: false, inbox: { pollIntervalMs: 10 } });
    await turns(50); // the host app is still starting: awaiting its own connections, say
    assert.equal(storage.getEntry({ provider: 'tokenex', id: 'evt-inbox-late-1' })?.status, 'pending');
    const ids: string[] = [];
    restarted.onEvent((e) => { ids.push(e.id); });
    await restarted.ready();
    await eventually(() => ids.length === 1, 5000, 'the pending event to run');
    assert.deepEqual(ids, ['evt-inbox-late-1']);
    await restarted.close();
  });

  it('runs an event as soon as it arrives when polling is on', async () => {
    const { app, webhooks } = inboxReceiver({ inbox: { pollIntervalMs: 60_000 } });
    const ran = new Latch();
    webhooks.onEvent(() => { ran.open(); });
    await post(app, 'tokenex', tokenexBody({ id: 'evt-inbox-kick' })).expect(200);
    await ran.promise; // kicked by the enqueue, not by the one-minute poll
    await webhooks.close();
  });

  it('NI activation codes are not stored in clear: inbox handlers see them redacted', async () => {
    const storage = new MemoryStorage();
    const { app, webhooks } = inboxReceiver({ storage });
    const events: TokenEvent[] = [];
    webhooks.onEvent((e) => { events.push(e); });
    const code = '90417';
    const ac = fixture('ni', 'sample-request-for-ac').text.replace('"activationCode": "1234"', `"activationCode": "${code}"`);
    assert.ok(ac.includes(code));
    await post(app, 'ni', ac).expect(200);
    const entry = storage.getEntry({ provider: 'ni', id: (JSON.parse(ac) as { id: string }).id })!;
    assert.ok(!entry.body.includes(code));
    await webhooks.processInbox();
    assert.equal(events[0]?.type, 'token.activation_code');
    assert.ok(!JSON.stringify(events[0]!.raw).includes(code));
  });

  it('with an encryption key, inbox handlers get the activation code; storage holds it only sealed; keys rotate', async () => {
    const oldKey = Buffer.alloc(32, 1);
    const newKey = Buffer.alloc(32, 2).toString('base64');
    const storage = new MemoryStorage();
    const first = inboxReceiver({ storage, encryptionKey: oldKey });
    const code = '90417';
    const ac = fixture('ni', 'sample-request-for-ac').text.replace('"activationCode": "1234"', `"activationCode": "${code}"`);
    await post(first.app, 'ni', ac).expect(200);
    await first.webhooks.close();
    const key = { provider: 'ni', id: (JSON.parse(ac) as { id: string }).id };
    assert.ok(!storage.getEntry(key)!.body.includes(code));

    // An instance without the old key cannot open it: the entry goes dead with a reason, nothing runs.
    const wrong = inboxReceiver({ storage, encryptionKey: newKey, inbox: { maxAttempts: 1 } });
    const none: TokenEvent[] = [];
    wrong.webhooks.onEvent((e) => { none.push(e); });
    await wrong.webhooks.processInbox();
    assert.equal(none.length, 0);
    assert.match(storage.getEntry(key)!.lastError ?? '', /cannot be opened/);
    await wrong.webhooks.close();

    // After rotation (new key first, old kept), a replay opens it: the handler sees what a sync handler sees.
    const rotated = inboxReceiver({ storage, encryptionKey: [newKey, oldKey] });
    const events: TokenEvent[] = [];
    rotated.webhooks.onEvent((e) => { events.push(e); });
    assert.equal(await rotated.webhooks.replay(key.id, 'ni'), 1);
    await rotated.webhooks.processInbox();
    assert.equal(events.length, 1);
    const event = events[0]!;
    assert.equal(event.type === 'token.activation_code' ? event.activationCode : undefined, code);
    assert.ok(JSON.stringify(event.raw).includes(code));
    const [logged] = await rotated.webhooks.listEvents({ provider: 'ni' });
    assert.ok(!JSON.stringify(logged!.payload).includes(code), 'the event log keeps it redacted');
    await rotated.webhooks.close();
  });

  it('a store without leaseMany: leases several due entries at once, not one after another, each to one run', async () => {
    let leasing = 0;
    let most = 0;
    let leases = 0;
    const storage = instrumented(withoutBatches(new MemoryStorage()), {
      before: async (m) => {
        if (m !== 'lease') return;
        leases++;
        most = Math.max(most, ++leasing);
        await turns(3); // a lease that takes a while, as behind a busy pool
        leasing--;
      },
    });
    const { app, webhooks } = inboxReceiver({ storage, inbox: { concurrency: 4 } });
    const seen: string[] = [];
    webhooks.onEvent((e) => { seen.push(e.id); });
    for (let i = 0; i < 12; i++) assert.equal((await post(app, 'tokenex', tokenexBody({ id: `evt-batch-${i}` }))).status, 200);

    assert.equal(await webhooks.processInbox(), 12);
    assert.ok(most > 1 && most <= 4, `leases at once: ${most} (one after another: 1; never more than the free slots)`);
    assert.deepEqual([...seen].sort(), Array.from({ length: 12 }, (_, i) => `evt-batch-${i}`).sort());
    leases = 0;
    assert.equal(await webhooks.processInbox(), 0);
    assert.equal(leases, 1, 'nothing due: one lease, not one per slot');
  });

  it('a store with leaseMany: one call leases for the free slots and more, each entry to one run, never more handlers at once than concurrency', async () => {
    const calls: Record<string, number> = {};
    const storage = instrumented(new MemoryStorage(), {
      before: async (m) => {
        calls[m] = (calls[m] ?? 0) + 1;
        if (m === 'leaseMany') await turns(3); // a lease that takes a while, as behind a busy pool
      },
    });
    const { app, webhooks } = inboxReceiver({ storage, inbox: { concurrency: 4 } });
    const seen: string[] = [];
    let running = 0;
    let most = 0;
    webhooks.onEvent(async (e) => {
      most = Math.max(most, ++running);
      await turns(1);
      running--;
      seen.push(e.id);
    });
    for (let i = 0; i < 40; i++) assert.equal((await post(app, 'tokenex', tokenexBody({ id: `evt-many-${i}` }))).status, 200);

    assert.equal(await webhooks.processInbox(), 40);
    assert.deepEqual([...seen].sort(), Array.from({ length: 40 }, (_, i) => `evt-many-${i}`).sort());
    assert.ok(most <= 4, `handlers at once: ${most}`);
    assert.equal(calls.lease, undefined, 'no single leases');
    assert.equal(calls.settle, undefined, 'completions stored through settleMany');
    assert.ok(calls.leaseMany! < 40, `${calls.leaseMany} leaseMany calls for 40 entries`);
    for (let i = 0; i < 40; i += 13) assert.equal((await storage.getEntry({ provider: 'tokenex', id: `evt-many-${i}` }))?.status, 'done');
    calls.leaseMany = 0;
    assert.equal(await webhooks.processInbox(), 0);
    assert.equal(calls.leaseMany, 1, 'nothing due: one call');
  });

  it('an entry leased ahead keeps its lease while it waits for a slot (renewed as a run is), and runs once', async function () {
    this.timeout(30_000);
    const LEASE = 300;
    const leasedAt = new Map<string, number>();
    const extendedAt = new Map<string, number>();
    const storage = instrumented(new MemoryStorage(), {
      before: async (m, args) => {
        if (m === 'leaseMany') await new Promise((resolve) => setTimeout(resolve, 50)); // a lease much slower than the handlers
        if (m === 'extend') extendedAt.set((args[0] as { id: string }).id, Date.now());
      },
      after: (m, _args, result) => {
        if (m === 'leaseMany') for (const e of result as { id: string }[]) leasedAt.set(e.id, Date.now());
      },
    });
    const { app, webhooks } = inboxReceiver({ storage, leaseMs: LEASE, storageTimeoutMs: 100, inbox: { concurrency: 1 } });
    const startedAt = new Map<string, number>();
    webhooks.onEvent(async (e) => {
      startedAt.set(e.id, Date.now());
      const entry = await storage.getEntry({ provider: 'tokenex', id: e.id });
      assert.ok(entry!.dueAt.getTime() > Date.now(), `${e.id} runs under a live lease`);
      if (e.id === 'evt-slow') await new Promise((resolve) => setTimeout(resolve, 2 * LEASE));
    });
    // Fast runs first: the worker learns that its handlers end long before a lease call answers.
    for (let i = 0; i < 20; i++) assert.equal((await post(app, 'tokenex', tokenexBody({ id: `evt-fast-${i}` }))).status, 200);
    assert.equal(await webhooks.processInbox(), 20);
    assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'evt-slow' }))).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await post(app, 'tokenex', tokenexBody({ id: `evt-after-${i}` }))).status, 200);
    assert.equal(await webhooks.processInbox(), 6);
    const waited = Array.from({ length: 5 }, (_, i) => `evt-after-${i}`).filter((id) => startedAt.get(id)! - leasedAt.get(id)! > LEASE / 2);
    assert.ok(waited.length > 0, 'entries leased with the slow one waited for its slot');
    for (const id of waited) assert.ok((extendedAt.get(id) ?? 0) >= leasedAt.get(id)!, `${id} renewed while it waited`);
    for (let i = 0; i < 5; i++) assert.equal((await storage.getEntry({ provider: 'tokenex', id: `evt-after-${i}` }))?.attempts, 1);
  });

  it('refuses an encryption key that is not 32 bytes', () => {
    assert.throws(() => inboxReceiver({ encryptionKey: 'c2hvcnQ=' }), { code: 'ERR_NTW_ENCRYPTION_KEY' });
  });

  it('refuses a storage that is not one at start-up; inbox-only methods are not on a sync receiver', async () => {
    const plain = { ...Object.fromEntries(['claim', 'complete', 'release', 'saveEvent', 'getTokenState', 'prune'].map((m) => [m, () => undefined])) };
    assert.throws(() => testReceiver({ mode: 'inbox', storage: plain as never }), /ERR_NTW_STORAGE/);
    const { webhooks } = testReceiver();
    assert.equal(await webhooks.replay('x'), 0);
    // @ts-expect-error processInbox exists in inbox mode only
    assert.equal(webhooks.processInbox, undefined);
    // @ts-expect-error listDeadLetters exists in inbox mode only
    assert.equal(webhooks.listDeadLetters, undefined);
  });

  it('backoff: doubles from the base, never past the maximum, jitter between half and all of it', () => {
    const options = { baseMs: 1000, maxMs: 10_000 };
    assert.equal(backoffDelay(1, { ...options, random: () => 0 }), 500);
    assert.equal(backoffDelay(1, { ...options, random: () => 0.999999 }), 1000);
    assert.equal(backoffDelay(3, { ...options, random: () => 0 }), 2000);
    assert.equal(backoffDelay(30, { ...options, random: () => 0.999999 }), 10_000);
  });
});
