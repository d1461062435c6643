import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { MemoryStorage } from '../../lib';
import { testReceiver } from '../helpers/app';
import { fixture } from '../helpers/fixtures';
import { Latch, instrumented, listen, post, tokenexBody, turns } from './support';

describe('delivery: concurrent duplicates', () => {
  const servers: Server[] = [];
  afterEach(() => { for (const s of servers.splice(0)) s.close(); });

  it('50 concurrent copies of one event: handlers run once, and no success answer precedes the durable completion', async () => {
    let completed = false;
    const completeGate = new Latch();
    const storage = instrumented(new MemoryStorage(), {
      before: async (method) => { if (method === 'settle') await completeGate.promise; },
      after: (method) => { if (method === 'settle') completed = true; },
    });
    const { app, webhooks } = testReceiver({ storage });
    const handlerGate = new Latch();
    const entered = new Latch();
    let runs = 0;
    webhooks.onEvent(async () => { runs++; entered.open(); await handlerGate.promise; });
    const server = await listen(app);
    servers.push(server);

    const body = tokenexBody({ id: 'evt-50-copies' });
    const answers: { status: number; duplicate: boolean; durableWhenAnswered: boolean }[] = [];
    const copies = Array.from({ length: 50 }, () => post(server, 'tokenex', body).then((res) => {
      answers.push({ status: res.status, duplicate: (res.body as { duplicate?: boolean }).duplicate === true, durableWhenAnswered: completed });
    }));

    await entered.promise;
    handlerGate.open(); // the handlers are done; their completion is not yet stored
    await turns(50);
    assert.equal(answers.filter((a) => a.status === 200).length, 0, 'a success answer went out before settle() resolved');
    completeGate.open();
    await Promise.all(copies);

    assert.equal(runs, 1);
    assert.equal(answers.length, 50);
    assert.ok(answers.every((a) => a.durableWhenAnswered || a.status !== 200), 'success before durability');
    // Within one process every copy waited for the first one's outcome: all succeed, one of them as the original.
    assert.deepEqual(answers.map((a) => a.status), Array(50).fill(200));
    assert.equal(answers.filter((a) => !a.duplicate).length, 1);
  });

  it('a copy that reaches another instance while the first runs gets 409 + Retry-After; after completion a duplicate 200', async () => {
    const storage = new MemoryStorage();
    const a = testReceiver({ storage });
    const b = testReceiver({ storage });
    const gate = new Latch();
    const entered = new Latch();
    let runs = 0;
    for (const { webhooks } of [a, b]) webhooks.onEvent(async () => { runs++; entered.open(); await gate.promise; });

    const body = tokenexBody({ id: 'evt-two-instances' });
    const first = post(a.app, 'tokenex', body).then((res) => res);
    await entered.promise;
    const other = await post(b.app, 'tokenex', body);
    assert.equal(other.status, 409);
    assert.equal(other.headers['retry-after'], '5');
    assert.equal((other.body as { error: { code: string } }).error.code, 'in_progress');

    gate.open();
    assert.equal((await first).status, 200);
    const again = await post(b.app, 'tokenex', body);
    assert.equal(again.status, 200);
    assert.equal((again.body as { duplicate: boolean }).duplicate, true);
    assert.equal(runs, 1);
  });

  it('NI: the other instance answers a non-00 code with Retry-After while the first copy runs', async () => {
    const storage = new MemoryStorage();
    const a = testReceiver({ storage });
    const b = testReceiver({ storage });
    const gate = new Latch();
    const entered = new Latch();
    a.webhooks.onEvent(async () => { entered.open(); await gate.promise; });
    const body = JSON.stringify({ ...(JSON.parse(fixture('ni', 'sample-request-for-td').text) as object), id: '0e6a4c8e-1111-4c55-9d2a-000000000001' });
    const first = post(a.app, 'ni', body).then((res) => res);
    await entered.promise;
    const other = await post(b.app, 'ni', body);
    assert.equal(other.status, 409);
    assert.equal(other.headers['retry-after'], '5');
    assert.equal((other.body as { response: { status: { code: string } } }).response.status.code, '96');
    gate.open();
    const done = await first;
    assert.equal((done.body as { response: { status: { code: string } } }).response.status.code, '00');
  });
});
