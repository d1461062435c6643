import { expect } from 'chai';
import { MemoryStorage } from '../../lib';
import type { InboxTokenWebhooks } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { deliver, testReceiver } from '../helpers/app';

const DAY = 24 * 60 * 60 * 1000;

describe('retention through webhooks.prune()', () => {
  for (const mode of ['sync', 'inbox'] as const) {
    it(`${mode} mode: keeps what is younger than retentionMs, removes what is older, never token states`, async () => {
      let t = Date.UTC(2026, 0, 1);
      const storage = new MemoryStorage({ now: () => t });
      const { app, webhooks } = testReceiver({ storage, mode, now: () => new Date(t), retentionMs: 2 * DAY, inbox: { pollIntervalMs: false } });
      await deliver(app, 'tokenex', fixture('tokenex', 'request').text).expect(200);
      if (webhooks.mode === 'inbox') await (webhooks as InboxTokenWebhooks).processInbox();

      t += DAY;
      expect(await webhooks.prune()).to.deep.equal({ entries: 0 });
      t += 2 * DAY;
      expect(await webhooks.prune()).to.deep.equal({ entries: 1 });
      expect(await webhooks.listEvents()).to.have.length(0);
      expect(await webhooks.getTokenState('tokenex', 'b2b92b5b-403d-4bd8-a756-6e415b86b291')).to.include({ state: 'ACTIVE' });
      await webhooks.close();
    });
  }
});
