import assert from 'node:assert/strict';
import { MemoryStorage } from '../../lib';
import { testReceiver } from '../helpers/app';
import { Latch, instrumented, post, tokenexBody } from './support';

const T0 = Date.UTC(2025, 0, 1);

describe('delivery: ordering under concurrency (token state)', () => {
  for (const newerFirst of [true, false]) {
    it(`two events of one token on two instances at once leave the newest state (${newerFirst ? 'newer' : 'older'} projected first)`, async () => {
      // Both deliveries reach admit (which takes the entry and applies its state) before either proceeds; then they go in the chosen order.
      const arrived: Latch[] = [new Latch(), new Latch()];
      const go = new Map<string, Latch>([['evt-newer', new Latch()], ['evt-older', new Latch()]]);
      let count = 0;
      const storage = instrumented(new MemoryStorage(), {
        before: async (method, args) => {
          if (method !== 'admit') return;
          arrived[count++]!.open();
          await go.get((args[0] as { id: string }).id)!.promise;
        },
      });
      const a = testReceiver({ storage });
      const b = testReceiver({ storage });
      const seen: { id: string; stale: boolean; kind: string }[] = [];
      for (const { webhooks } of [a, b]) {
        webhooks.onEvent((e) => { seen.push({ id: e.id, stale: e.stale, kind: 'event' }); });
        webhooks.onSuspended((e) => { seen.push({ id: e.id, stale: e.stale, kind: 'suspended' }); });
        webhooks.onActive((e) => { seen.push({ id: e.id, stale: e.stale, kind: 'active' }); });
      }
      const newer = post(a.app, 'tokenex', tokenexBody({ id: 'evt-newer', tokenRef: 'tok-1', state: 'SUSPENDED', at: T0 + 2000 })).then((r) => r);
      const older = post(b.app, 'tokenex', tokenexBody({ id: 'evt-older', tokenRef: 'tok-1', state: 'ACTIVE', at: T0 + 1000 })).then((r) => r);
      await Promise.all(arrived.map((l) => l.promise));
      const order = newerFirst ? ['evt-newer', 'evt-older'] : ['evt-older', 'evt-newer'];
      go.get(order[0]!)!.open();
      await (order[0] === 'evt-newer' ? newer : older);
      go.get(order[1]!)!.open();
      assert.equal((await newer).status, 200);
      assert.equal((await older).status, 200);

      const state = await a.webhooks.getTokenState('tokenex', 'tok-1');
      assert.equal(state?.state, 'SUSPENDED');
      assert.equal(state?.eventId, 'evt-newer');
      assert.equal(state?.chargeable, false);
      assert.ok(seen.some((s) => s.kind === 'suspended' && s.id === 'evt-newer'));
      if (newerFirst) {
        // The older event came second: stale, onEvent only.
        assert.ok(seen.some((s) => s.kind === 'event' && s.id === 'evt-older' && s.stale));
        assert.ok(!seen.some((s) => s.kind === 'active'));
      }
    });
  }
});
