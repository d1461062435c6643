import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { MemoryStorage, ReportedError, builtinProviders, createTokenWebhooks } from '../../lib';
import type { JsonSchema, TokenEvent } from '../../lib';
import { BEARER } from '../helpers/app';
import { edited } from '../helpers/fixtures';
import { Latch, closeWhileHeld } from '../delivery/support';

const PAN = '4111111111111111';

describe('quarantine: an authentic delivery the endpoint cannot read is kept, not refused (opt-in)', () => {
  const unreadable = edited('tokenex', 'request', (p) => {
    p.networkTokenStateChangeNotification.currentTokenState = 'SOMETHING_NEW'; // a value the shipped schema does not know
    p.networkTokenStateChangeNotification.note = `card ${PAN}`;
  });

  function setup(quarantine: boolean, schema?: JsonSchema) {
    const storage = new MemoryStorage();
    const webhooks = createTokenWebhooks<TokenEvent>({ storage, pruneIntervalMs: false });
    const seen: TokenEvent[] = [];
    const errors: unknown[] = [];
    webhooks.onEvent((e) => { seen.push(e); }).onError((e) => { errors.push(e); });
    const mount = (s?: JsonSchema) => express().use('/tokenex', webhooks.tokenex({ auth: { bearer: BEARER }, quarantine, ...(s ? { schema: s } : {}) }));
    const app = mount(schema);
    const post = (body: string, to = app) => request(to).post('/tokenex').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body);
    return { webhooks, seen, errors, post, mount };
  }

  it('by default an unreadable delivery is refused with 400 schema_violation and nothing is kept', async () => {
    const { webhooks, post } = setup(false);
    expect((await post(unreadable)).status).to.equal(400);
    expect(await webhooks.listEvents()).to.have.length(0);
  });

  it('with quarantine: 200, kept without the card number, reported as ERR_NTW_QUARANTINED, a copy is a duplicate', async () => {
    const { webhooks, seen, errors, post } = setup(true);
    const res = await post(unreadable);
    expect(res.status).to.equal(200);
    expect(res.body.id).to.match(/^quarantine:[0-9a-f]{64}$/);
    expect(seen).to.have.length(0);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(ReportedError);
    expect((errors[0] as ReportedError).code).to.equal('ERR_NTW_QUARANTINED');
    expect((errors[0] as Error).message).to.not.include(PAN);
    const [kept] = await webhooks.listEvents({ status: 'quarantined' });
    expect(kept).to.include({ status: 'quarantined', type: 'unreadable', id: res.body.id });
    expect(kept!.lastError).to.match(/schema_violation: .*currentTokenState/);
    expect(JSON.stringify(kept)).to.not.include(PAN);
    expect((await post(unreadable)).body.duplicate).to.equal(true);
  });

  it('replay() runs it once a schema override reads it, and closes the quarantined entry', async () => {
    const { webhooks, seen, post, mount } = setup(true);
    const { body: { id } } = await post(unreadable);
    expect(await webhooks.replay(id)).to.equal(0, 'the endpoint still cannot read it');
    // The operator accepts the new state in a schema of their own and mounts the endpoint with it.
    const schema = JSON.parse(JSON.stringify(builtinProviders.tokenex.schema)) as { properties: { networkTokenStateChangeNotification: { properties: { currentTokenState: { enum: string[] } } } } };
    schema.properties.networkTokenStateChangeNotification.properties.currentTokenState.enum.push('SOMETHING_NEW');
    mount(schema as unknown as JsonSchema);
    expect(await webhooks.replay(id)).to.equal(1);
    expect(seen).to.have.length(1);
    expect(seen[0]!.id).to.equal('6fdf4f09-7fbb-48ae-be1e-ac412a2949a7');
    expect((await webhooks.listEvents({ status: 'quarantined' }))).to.have.length(0);
  });

  it('close() waits for a quarantined delivery\'s replay that is running, and its completion is stored first', async () => {
    const { webhooks, post, mount } = setup(true);
    const { body: { id } } = await post(unreadable);
    const schema = JSON.parse(JSON.stringify(builtinProviders.tokenex.schema)) as { properties: { networkTokenStateChangeNotification: { properties: { currentTokenState: { enum: string[] } } } } };
    schema.properties.networkTokenStateChangeNotification.properties.currentTokenState.enum.push('SOMETHING_NEW');
    mount(schema as unknown as JsonSchema);
    const gate = new Latch();
    const entered = new Latch();
    webhooks.onEvent(async () => { entered.open(); await gate.promise; });

    const replaying = webhooks.replay(id);
    await entered.promise;
    await closeWhileHeld(webhooks, gate, 'the replay\'s handlers were running');
    expect(await replaying).to.equal(1);
    expect((await webhooks.listEvents({ status: 'done' })).map((e) => e.id)).to.include('6fdf4f09-7fbb-48ae-be1e-ac412a2949a7');
  });
});
