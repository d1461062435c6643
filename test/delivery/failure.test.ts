import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import { testReceiver } from '../helpers/app';
import { instrumented, post, tokenexBody } from './support';

describe('delivery: storage failures release the claim', () => {
  // admit takes the entry (and applies its state); settle records the outcome.
  for (const method of ['admit', 'settle'] as const) {
    it(`${method}() fails once: 503 storage_unavailable + Retry-After, the next delivery runs the handlers and succeeds`, async () => {
      let failures = 1;
      const storage = instrumented(new MemoryStorage(), {
        before: (m) => { if (m === method && failures-- > 0) throw new Error(`${method} down`); },
      });
      const { app, webhooks } = testReceiver({ storage });
      let runs = 0;
      const errors: unknown[] = [];
      webhooks.onEvent(() => { runs++; }).onError((error) => { errors.push(error); });
      const body = tokenexBody({ id: `evt-storage-${method}` });

      const failed = await post(app, 'tokenex', body);
      assert.equal(failed.status, 503);
      assert.equal(failed.headers['retry-after'], '5');
      assert.equal((failed.body as { error: { code: string } }).error.code, 'storage_unavailable');
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error).message, `${method} down`);

      const retried = await post(app, 'tokenex', body);
      assert.equal(retried.status, 200);
      assert.equal((retried.body as { duplicate: boolean }).duplicate, false);
      // settle() failing after the handlers ran means they run again: at least once, never acknowledged before durable.
      assert.equal(runs, method === 'settle' ? 2 : 1);
      const duplicate = await post(app, 'tokenex', body);
      assert.equal((duplicate.body as { duplicate: boolean }).duplicate, true);
    });
  }
});
