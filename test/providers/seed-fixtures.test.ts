import { expect } from 'chai';
import { fixtures } from '../helpers/fixtures';
import { deliver, testReceiver } from '../helpers/app';
import { DESCRIPTORS, descriptor } from './descriptors';

describe('every example payload, end to end through the middleware', () => {
  for (const { name: provider, expected: EXPECTED } of DESCRIPTORS) {
    describe(provider, () => {
      it('has an expectation for every fixture', () => {
        expect(fixtures(provider).map((f) => f.name).sort()).to.deep.equal(Object.keys(EXPECTED).sort());
      });

      for (const f of fixtures(provider)) {
        const expected = EXPECTED[f.name]!;
        it(`${f.name}: handlers once, ${expected.type}, exact ack; a redelivery is acknowledged and not dispatched`, async () => {
          const { app, recorder, webhooks } = testReceiver();
          const first = await deliver(app, provider, f.text);
          descriptor(provider).expectSuccess(first, expected.id, false, f.payload);

          for (const kind of ['active', 'suspended', 'deleted', 'updated'] as const) {
            expect(recorder.count(kind), kind).to.equal(expected.kinds.includes(kind) ? 1 : 0);
          }
          expect(recorder.count('event')).to.equal(1);
          const event = recorder.last('event');
          expect(event).to.include({ provider, type: expected.type, tokenRef: expected.tokenRef, stale: false });
          if (expected.id.startsWith('sha256:')) expect(event.id).to.match(/^sha256:[0-9a-f]{64}$/);
          else expect(event.id).to.equal(expected.id);
          expect(event.state).to.equal(expected.state);
          expect(event.previousState).to.equal(expected.previousState);
          if (expected.reason) expect(event.reason).to.equal(expected.reason);
          expect(event.reasonCode).to.equal(expected.reasonCode);
          expect(event.changes).to.deep.equal(expected.changes ?? []);
          if (expected.occurredAt) expect(event.occurredAt.toISOString()).to.equal(expected.occurredAt);
          expect(event.receivedAt).to.be.instanceOf(Date);
          expect(event.raw).to.deep.equal(f.payload);
          if (event.type === 'token.activation_code') expect(event.activationCode).to.equal(expected.activationCode);

          const logged = await webhooks.listEvents();
          expect(logged).to.have.length(1);
          expect(logged[0]).to.include({ provider, id: event.id, type: expected.type, stale: false });
          if (expected.state) {
            const state = await webhooks.getTokenState(provider, expected.tokenRef);
            expect(state).to.include({ state: expected.state, eventId: event.id, chargeable: expected.state === 'ACTIVE' });
          }

          const again = await deliver(app, provider, f.text);
          descriptor(provider).expectSuccess(again, event.id, true, f.payload);
          expect(recorder.count('event')).to.equal(1);
          expect(recorder.calls).to.have.length(expected.kinds.length + 1);
        });
      }
    });
  }

  it('NI answers in the shape of its own example response', async () => {
    const example = fixtures('ni', 'responses')[0]!.payload;
    const { app } = testReceiver();
    const res = await deliver(app, 'ni', fixtures('ni')[0]!.text);
    expect(Object.keys(res.body).sort()).to.deep.equal(Object.keys(example).sort());
    expect(res.body.response).to.deep.equal(example.response);
  });

  it('an activation code reaches the handler but is not persisted in clear', async () => {
    const { app, recorder, webhooks } = testReceiver();
    const ac = fixtures('ni').find((f) => f.name === 'sample-request-for-ac')!;
    await deliver(app, 'ni', ac.text).expect(200);
    expect((recorder.last('event').raw as { details: { token: { activationCode: string } } }).details.token.activationCode).to.equal('1234');
    const [stored] = await webhooks.listEvents();
    expect(JSON.stringify(stored!.payload)).to.not.include('"1234"');
    expect((stored!.payload as { details: { token: { activationCode: string } } }).details.token.activationCode).to.equal('[REDACTED]');
  });
});
