import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MemoryStorage } from '../../lib';
import type { Admit, EntryRecord } from '../../lib';
import { deliver, testReceiver } from '../helpers/app';
import { edited } from '../helpers/fixtures';

/** MemoryStorage that counts admissions (the round trip that dedupes). */
class CountingStorage extends MemoryStorage {
  claimCalls = 0;
  override admit(record: EntryRecord, admit: Admit) {
    this.claimCalls++;
    return super.admit(record, admit);
  }
}

const body = (messageId: string) => edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.messageId = messageId; });

describe('the processed-id cache in front of storage', function () {
  it('answers recent duplicates without a claim, holds at most cacheMax ids, and storage still dedupes the evicted ones', async function () {
    const storage = new CountingStorage();
    const { app, webhooks, recorder } = testReceiver({ storage, cacheMax: 2 });
    try {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      for (const id of [a, b, c]) assert.equal((await deliver(app, 'tokenex', body(id))).status, 200);
      assert.equal(storage.claimCalls, 3);
      assert.equal((await deliver(app, 'tokenex', body(c))).status, 200);
      assert.equal(storage.claimCalls, 3, 'a recent duplicate is answered from the cache');
      assert.equal((await deliver(app, 'tokenex', body(a))).status, 200);
      assert.equal(storage.claimCalls, 4, 'the oldest id was evicted: the cache is bounded');
      assert.equal(recorder.count('event'), 3, 'storage still knows the evicted id was processed');
    } finally {
      await webhooks.close();
    }
  });
});
