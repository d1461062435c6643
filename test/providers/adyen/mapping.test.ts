import { expect } from 'chai';
import { deliver, testReceiver } from '../../helpers/app';
import { edited, fixture } from '../../helpers/fixtures';

/** A network token webhook of the fixtures with another status and time. */
const networkToken = (status: string | undefined, timestamp: string) => edited('adyen', 'network-token-active', (p) => {
  if (status === undefined) delete p.data.status;
  else p.data.status = status;
  p.timestamp = timestamp;
});

describe('adyen: dedupe keys and mappings beyond the examples', () => {
  it('one request that disables several stored tokens: one recurring.token.disabled per token, one PSP reference, each an event', async () => {
    const { app, recorder } = testReceiver();
    for (const token of ['M5N7TQ4TG5PFWR50', 'M5N7TQ4TG5PFWR51']) {
      const res = await deliver(app, 'adyen', edited('adyen', 'recurring-token-disabled', (p) => { p.data.storedPaymentMethodId = token; }));
      expect(res.headers['ntw-outcome']).to.equal('accepted');
    }
    expect(recorder.calls.filter((c) => c.kind === 'deleted').map((c) => [c.event.tokenRef, c.event.id])).to.deep.equal([
      ['M5N7TQ4TG5PFWR50', 'recurring.token.disabled:QBQQ9DLNRHHKGK38:M5N7TQ4TG5PFWR50'],
      ['M5N7TQ4TG5PFWR51', 'recurring.token.disabled:QBQQ9DLNRHHKGK38:M5N7TQ4TG5PFWR51'],
    ]);
  });

  it('the webhooks one request triggers share its eventId: each type is an event, and a retry of one is a duplicate', async () => {
    const { app, recorder, webhooks } = testReceiver();
    for (const name of ['recurring-token-created', 'recurring-token-already-existing', 'recurring-token-created']) await deliver(app, 'adyen', fixture('adyen', name).text).expect(200);
    expect(recorder.calls.filter((c) => c.kind === 'event').map((c) => c.event.type)).to.deep.equal(['token.active', 'notification']);
    expect((await webhooks.listEvents()).map((e) => e.id).sort()).to.deep.equal([
      'recurring.token.alreadyExisting:QBQQ9DLNRHHKGK38:M5N7TQ4TG5PFWR50', 'recurring.token.created:QBQQ9DLNRHHKGK38:M5N7TQ4TG5PFWR50',
    ]);
  });

  it('a network token webhook has no id: its content is its key, so a retry (re-serialized or not) is a duplicate and the next status is not', async () => {
    const { app, recorder, webhooks } = testReceiver();
    const suspended = networkToken('suspended', '2025-04-02T08:00:12+02:00');
    const resumed = networkToken('active', '2025-04-02T09:30:00+02:00');
    for (const body of [suspended, resumed, JSON.stringify(JSON.parse(suspended), null, 1), suspended]) await deliver(app, 'adyen', body).expect(200);
    expect(recorder.calls.filter((c) => c.kind !== 'event').map((c) => c.kind)).to.deep.equal(['suspended', 'active']);
    expect(await webhooks.listEvents()).to.have.length(2);
    expect((await webhooks.getTokenState('adyen', 'NT32265223222B5HJ6KV3CZ7Q2MD'))?.state).to.equal('ACTIVE');
  });

  it('a status Adyen does not document, or none, is an update of the status, not a guess', async () => {
    for (const [status, reasonCode] of [['deactivated', 'deactivated'], [undefined, undefined]] as const) {
      const { app, recorder } = testReceiver();
      await deliver(app, 'adyen', networkToken(status, '2025-04-02T08:00:12+02:00')).expect(200);
      const event = recorder.last('event');
      expect([event.type, event.state, event.reasonCode, event.changes]).to.deep.equal(['token.updated', undefined, reasonCode, ['status']]);
      expect(recorder.calls.map((c) => c.kind)).to.deep.equal(['updated', 'event']);
    }
  });

  it('another Configuration webhook on the same endpoint is a notification: its type as kind, no token, dated by its timestamp', async () => {
    const { app, recorder } = testReceiver();
    const body = JSON.stringify({
      data: { balancePlatform: 'YOUR_BALANCE_PLATFORM', paymentInstrument: { id: 'PI32272223222B59M5TM658DT', status: 'active', type: 'card' } },
      environment: 'test', timestamp: '2025-03-19T10:15:30+01:00', type: 'balancePlatform.paymentInstrument.updated',
    });
    await deliver(app, 'adyen', body).expect(200, { notificationResponse: '[accepted]' });
    const event = recorder.last('event');
    expect(event).to.include({ type: 'notification', kind: 'balancePlatform.paymentInstrument.updated', tokenRef: '' });
    expect(event.id).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(event.occurredAt.toISOString()).to.equal('2025-03-19T09:15:30.000Z');
    expect(recorder.calls).to.have.length(1);
  });

  it('a network token webhook without its token, or a Tokenization webhook without its eventId, is refused: nothing to key or track', async () => {
    const { app, recorder } = testReceiver();
    for (const body of [
      edited('adyen', 'network-token-active', (p) => { delete p.data.id; }),
      edited('adyen', 'recurring-token-created', (p) => { delete p.eventId; }),
      edited('adyen', 'recurring-token-created', (p) => { delete p.data.storedPaymentMethodId; }),
    ]) {
      const res = await deliver(app, 'adyen', body);
      expect([res.status, res.body.error.code]).to.deep.equal([400, 'schema_violation']);
    }
    expect(recorder.calls).to.have.length(0);
  });
});
