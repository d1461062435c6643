import { expect } from 'chai';
import { createTokenWebhooks } from '../lib';
import type { BuiltinTokenEvent, HandlerContext, HealthReport, TokenState } from '../lib';

/** Compile-time checks of the public types: this file must type-check (npm test runs tsc first). */
describe('public types', () => {
  it('the console needs authorize or credentials', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const mount = (options: Parameters<typeof webhooks.console>[0]) => () => webhooks.console(options);
    mount({ authorize: (req) => req.headers['x-operator'] === 'alice' });
    mount({ credentials: { username: 'ops', password: 'a long password' }, windowMinutes: 30 });
    // @ts-expect-error: a console anyone could open
    mount({});
    // @ts-expect-error: nor with settings alone
    mount({ pageSize: 20 });
    expect(() => webhooks.console({} as never)).to.throw(/ERR_NTW_CONSOLE_AUTH/);
  });

  it('narrow the event by provider and by type, with typed raw payloads', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const returned = webhooks
      .onActive((event) => {
        const state: 'ACTIVE' = event.state;
        if (event.provider === 'cybersource') {
          const payload = event.raw.payload;
          const id: string | undefined = payload && !Array.isArray(payload) ? (payload as { data: { id: string } }).data.id : undefined;
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
          const type: string = event.raw.type; // AC, TC, TD, TE, or another NI webhook's type
          void type;
        }
        if (event.provider === 'tokenex') {
          const current: TokenState | undefined = event.raw.networkTokenStateChangeNotification?.currentTokenState;
          void current;
        }
        if (event.type === 'notification') {
          const kind: string | undefined = event.kind;
          // @ts-expect-error: a notification carries no state
          const state: TokenState = event.state;
          void kind; void state;
        }
        // @ts-expect-error: raw is not `any`
        void event.raw.notAField;
      });
    expect(returned).to.equal(webhooks);
    // @ts-expect-error: cybersource keys must be strings
    void (() => webhooks.cybersource({ keys: { k: 1 } }));
  });

  it('handlers may take a second argument, { signal, attempt }, or leave it', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false, handlerTimeoutMs: 60_000 });
    webhooks
      .onEvent(() => undefined)
      .onActive((event) => { void event.state; })
      .onSuspended(async (_event, { signal, attempt }) => {
        const aborted: boolean = signal.aborted;
        const run: number = attempt;
        void aborted; void run;
      })
      .onEvent((_event, context: HandlerContext) => {
        // @ts-expect-error: the context is read-only
        context.attempt = 2;
      });
    const runs = (report: HealthReport) => {
      const numbers: [number, number] = [report.runs.running, report.runs.abandoned];
      const stalled: boolean = report.runs.stalled;
      return { numbers, stalled };
    };
    void runs;
    // @ts-expect-error: a duration in milliseconds
    void (() => createTokenWebhooks({ handlerTimeoutMs: '60s' }));
  });
});
