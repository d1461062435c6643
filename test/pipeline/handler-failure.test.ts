import { expect } from 'chai';
import { fixture } from '../helpers/fixtures';
import { deliver, testReceiver } from '../helpers/app';
import { DESCRIPTORS, descriptor } from '../providers/descriptors';



describe('a handler that throws', () => {
  for (const { name: provider, sample: name } of DESCRIPTORS) {
    it(`${provider}: answers retry-later, reports to onError, and the next delivery runs the handler again`, async () => {
      const { app, webhooks } = testReceiver();
      const body = fixture(provider, name).text;
      let attempts = 0;
      const errors: { error: unknown; eventId?: string }[] = [];
      webhooks.onEvent(() => {
        attempts += 1;
        if (attempts === 1) throw new Error('downstream unavailable');
      });
      webhooks.onError((error, context) => { errors.push({ error, eventId: context.eventId }); });

      const failed = await deliver(app, provider, body);
      descriptor(provider).expectRejection(failed, 500, 'handler_failed');
      expect(failed.headers['retry-after']).to.equal('5');
      expect(failed.text).to.not.include('downstream unavailable');
      expect(errors).to.have.length(1);
      expect((errors[0]!.error as Error).message).to.equal('downstream unavailable');

      const retried = await deliver(app, provider, body);
      const id = (await webhooks.listEvents())[0]!.id;
      descriptor(provider).expectSuccess(retried, id, false, JSON.parse(body));
      expect(attempts).to.equal(2);

      const duplicate = await deliver(app, provider, body);
      descriptor(provider).expectSuccess(duplicate, id, true, JSON.parse(body));
      expect(attempts).to.equal(2);
    });
  }

  it('several failing handlers reach onError as one AggregateError', async () => {
    const { app, webhooks } = testReceiver();
    const errors: unknown[] = [];
    webhooks.onSuspended(() => { throw new Error('a'); }).onEvent(async () => { throw new Error('b'); });
    webhooks.onError((error) => { errors.push(error); });
    await deliver(app, 'tokenex', fixture('tokenex', 'request').text.replace('"ACTIVE"', '"SUSPENDED"')).expect(500);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(AggregateError);
    expect((errors[0] as AggregateError).errors.map((e: Error) => e.message).sort()).to.deep.equal(['a', 'b']);
  });

  it('an onError handler that throws does not change the answer', async () => {
    const { app, webhooks } = testReceiver();
    webhooks.onEvent(() => { throw new Error('handler'); }).onError(() => { throw new Error('error handler'); });
    const res = await deliver(app, 'firstoken', fixture('firstoken', 'active').text);
    descriptor('firstoken').expectRejection(res, 500, 'handler_failed');
  });
});
