import { expect } from 'chai';
import { isNtwError, MemoryStorage, ReportedError, StorageError } from '../lib';
import type { ErrorContext, Storage, TokenEvent } from '../lib';
import { fixture } from './helpers/fixtures';
import { deliver, testReceiver } from './helpers/app';

/** What onError receives: without `context.event`, one of the package's errors; with it, what the handlers threw. */
describe('onError reports', () => {
  const tokenex = fixture('tokenex', 'request').text;

  function reports(storage?: Storage) {
    const { app, webhooks } = testReceiver(storage ? { storage } : {});
    const seen: { error: unknown; context: ErrorContext }[] = [];
    webhooks.onError((error, context) => { seen.push({ error, context }); });
    return { app, webhooks, seen };
  }

  it('a handler\'s own error arrives as it was thrown, with the event and its id', async () => {
    const { app, webhooks, seen } = reports();
    const thrown = new Error('downstream unavailable');
    webhooks.onEvent(() => { throw thrown; });
    await deliver(app, 'tokenex', tokenex).expect(500);
    expect(seen).to.have.length(1);
    const [{ error, context }] = seen as [{ error: unknown; context: ErrorContext }];
    expect(error).to.equal(thrown);
    expect(isNtwError(error)).to.equal(false);
    expect(context.event).to.include({ provider: 'tokenex', type: 'token.active' });
    expect(context.eventId).to.equal((context.event as TokenEvent).id);
  });

  it('a storage call that fails arrives as a StorageError, naming no event', async () => {
    const storage = Object.assign(new MemoryStorage(), { admit: () => Promise.reject(new Error('disk full')) });
    const { app, webhooks, seen } = reports(storage);
    webhooks.onEvent(() => undefined);
    await deliver(app, 'tokenex', tokenex).expect(503);
    expect(seen).to.have.length(1);
    expect(seen[0]!.error).to.be.instanceOf(StorageError).with.property('code', 'ERR_NTW_STORAGE_UNAVAILABLE');
    expect(seen[0]!.context.event).to.equal(undefined);
  });

  it('a failure nothing expects (a storage adapter answering out of shape) arrives as ERR_NTW_UNEXPECTED, the thrown error its cause', async () => {
    const storage = Object.assign(new MemoryStorage(), { admit: () => Promise.resolve(undefined) }) as unknown as Storage;
    const { app, webhooks, seen } = reports(storage);
    webhooks.onEvent(() => undefined);
    await deliver(app, 'tokenex', tokenex).expect(500);
    expect(seen).to.have.length(1);
    const { error, context } = seen[0]!;
    expect(isNtwError(error)).to.equal(true);
    expect(error).to.be.instanceOf(ReportedError).with.property('code', 'ERR_NTW_UNEXPECTED');
    expect((error as ReportedError).cause).to.be.instanceOf(TypeError);
    expect((error as ReportedError).message).to.match(/^a delivery failed unexpectedly: /);
    expect(context).to.deep.equal({ provider: 'tokenex' });
  });
});
