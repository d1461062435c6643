import { expect } from 'chai';
import { createTokenWebhooks } from '../lib';
import type { BuiltinTokenEvent, TokenState } from '../lib';

/** Compile-time checks of the public types: this file must type-check (npm test runs tsc first). */
describe('public types', () => {
  it('narrow the event by provider and by type, with typed raw payloads', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const returned = webhooks
      .onActive((event) => {
        const state: 'ACTIVE' = event.state;
        if (event.provider === 'cybersource') {
          const id: string = event.raw.payload.data.id;
          void id;
        }
        void state;
      })
      .onDeleted((event) => { const state: 'DELETED' = event.state; void state; })
      .onUpdated((event) => { const first: string = event.changes[0]; void first; })
      .onEvent((event: BuiltinTokenEvent) => {
        if (event.type === 'token.activation_code') {
          const code: string | undefined = event.activationCode;
          void code;
        }
        if (event.provider === 'ni') {
          const type: 'AC' | 'TC' | 'TD' | 'TE' = event.raw.type;
          void type;
        }
        if (event.provider === 'tokenex') {
          const current: TokenState = event.raw.networkTokenStateChangeNotification.currentTokenState;
          void current;
        }
        // @ts-expect-error: raw is not `any`
        void event.raw.notAField;
      });
    expect(returned).to.equal(webhooks);
    // @ts-expect-error: cybersource keys must be strings
    void (() => webhooks.cybersource({ keys: { k: 1 } }));
  });
});
