import { expect } from 'chai';
import { builtinProviders, ConfigurationError, createTokenWebhooks, isNtwError, ReportedError, StorageError } from '../lib';
import type {
  ActiveEvent, ActiveEventOf, BuiltinTokenEvent, CybersourcePayload, DeletedEvent, DeletedEventOf, HandlerContext, HandlerErrorContext, HealthReport,
  InactiveEvent, NtwError, ReceiverErrorContext, SuspendedEvent, SuspendedEventOf, TokenChange, TokenEvent, TokenExPayload, TokenState,
  TokenStateEvent, UpdateEvent, UpdateEventOf,
} from '../lib';

/** `true` when `A` and `B` are the same type (each assignable to the other, exactly). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const same = <A, B>(check: Same<A, B>) => check;

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

/** The gaps a first hour with the package ran into: each line below failed to compile, or compiled and should not have. */
describe('public types: what a first hour runs into', () => {
  it('a switch on event.type narrows state events to their state', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    webhooks.onEvent((event) => {
      switch (event.type) {
        case 'token.suspended': {
          const state: 'SUSPENDED' = event.state;
          void state;
          break;
        }
        case 'token.inactive': {
          const state: 'INACTIVE' = event.state;
          // @ts-expect-error: an inactive token is not active
          const active: 'ACTIVE' = event.state;
          void state; void active;
          break;
        }
        case 'token.updated': {
          const state: TokenState | undefined = event.state;
          void state;
          break;
        }
        default:
          break;
      }
      if (event.type === 'token.deleted' && event.provider === 'tokenex') {
        const state: 'DELETED' = event.state;
        const raw: TokenExPayload = event.raw;
        void state; void raw;
      }
    });
    const suspended = (event: SuspendedEvent): 'SUSPENDED' => event.state;
    const inactive = (event: InactiveEvent): 'token.inactive' => event.type;
    const anyState = (event: TokenStateEvent): TokenState => event.state;
    void suspended; void inactive; void anyState;
  });

  it('a notification always has a kind', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    webhooks.onEvent((event) => {
      if (event.type === 'notification') {
        const kind: string = event.kind;
        void kind;
      }
    });
  });

  it('a built-in mounter needs its credentials, an authenticate hook, or auth: \'none\' said out loud', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const bearer = 'a-shared-bearer-secret';
    const authenticate = () => true;
    const mounts = [
      () => webhooks.tokenex({ auth: { bearer } }),
      () => webhooks.tokenex({ auth: 'none' }),
      () => webhooks.tokenex({ authenticate }),
      () => webhooks.tokenex({ authenticate, limit: 1024 }),
      () => webhooks.ni({ auth: { bearer } }),
      () => webhooks.ni({ auth: 'none', timestampOffset: 'Z' }),
      () => webhooks.ni({ authenticate }),
      () => webhooks.firstoken({ auth: { signingKeys: 'whsec' } }),
      () => webhooks.firstoken({ authenticate, mapping: { tokenRef: (raw) => raw.ft_token ?? '' } }),
      () => webhooks.cybersource({ keys: { k: 'a2V5' } }),
      () => webhooks.cybersource({ keys: { k: 'a2V5' }, toleranceMs: 60_000 }),
      () => webhooks.cybersource({ auth: 'none' }),
      () => webhooks.cybersource({ authenticate }),
    ];
    void mounts;
    // @ts-expect-error: TokenEx signs nothing: no auth, no authenticate
    expect(() => webhooks.tokenex({})).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: nor without options at all
    expect(() => webhooks.tokenex()).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: options besides auth do not authenticate
    expect(() => webhooks.tokenex({ limit: 1024 })).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: NI needs auth too
    expect(() => webhooks.ni({ timestampOffset: 'Z' })).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: Firstoken too
    expect(() => webhooks.firstoken({ now: () => 0 })).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: Cybersource needs its keys
    expect(() => webhooks.cybersource({ toleranceMs: 60_000 })).to.throw(ConfigurationError, /ERR_NTW_CYBERSOURCE_KEY/);
    // @ts-expect-error: keys that auth: 'none' would ignore
    void (() => webhooks.cybersource({ keys: { k: 'a2V5' }, auth: 'none' }));
    // @ts-expect-error: the same through endpoint()
    expect(() => webhooks.endpoint(builtinProviders.tokenex, {})).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
    // @ts-expect-error: and through receiver()
    expect(() => webhooks.receiver(builtinProviders.ni)).to.throw(ConfigurationError, /ERR_NTW_AUTH_REQUIRED/);
  });

  it('getTokenState takes the providers the receiver is typed for', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    expect(await webhooks.getTokenState('tokenex', 'tok-1')).to.equal(undefined);
    // @ts-expect-error: no otherpay provider here
    expect(await webhooks.getTokenState('otherpay', 'tok-1')).to.equal(undefined);
    const custom = createTokenWebhooks<BuiltinTokenEvent | TokenEvent<'acme'>>({ pruneIntervalMs: false });
    expect(await custom.getTokenState('acme', 'tok-1')).to.equal(undefined);
    expect(await custom.getTokenState('ni', 'tok-1')).to.equal(undefined);
    // @ts-expect-error: nor in this one
    expect(await custom.getTokenState('otherpay', 'tok-1')).to.equal(undefined);
    const open = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    expect(await open.getTokenState('otherpay', 'tok-1')).to.equal(undefined);
    await Promise.all([webhooks.close(), custom.close(), open.close()]);
  });

  it('onError: the package\'s errors where the receiver reports, what handlers threw where they failed', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    webhooks.onError((error, context) => {
      const provider: string = context.provider;
      if (context.event) {
        // a handler failed: the error is what it threw
        const event: BuiltinTokenEvent = context.event;
        const id: string = context.eventId;
        // @ts-expect-error: whatever a handler threw
        void error.code;
        void event; void id;
      } else {
        const eventId: string | undefined = context.eventId;
        void eventId;
      }
      if (isNtwError(error)) {
        const code: NtwError['code'] = error.code;
        if (error instanceof StorageError) {
          const operation: string = error.operation;
          void operation;
        }
        void code;
      }
      void provider;
    });
    const receiverReport: ReceiverErrorContext = { provider: '*' };
    const handlerReport: HandlerErrorContext = { provider: 'x', eventId: 'e', event: {} as TokenEvent };
    // @ts-expect-error: a handler failure names its event
    const unnamed: HandlerErrorContext = { provider: 'x', eventId: 'e' };
    void receiverReport; void handlerReport; void unnamed;
    expect(isNtwError(new ReportedError('ERR_NTW_X', 'x'))).to.equal(true);
    expect(isNtwError(new Error('x'))).to.equal(false);
  });
});

/** One family of event types: what handlers receive is written with the names of lib/events.ts, and so are handlers declared apart. */
describe('public types: one family of event types', () => {
  it('a handler declared apart takes the event type of any provider, of one, or of the built-in ones narrowed by provider', () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const anyProvider = (event: SuspendedEvent): 'SUSPENDED' => event.state;
    const oneProvider = (event: ActiveEvent<'tokenex', TokenExPayload>): TokenExPayload => event.raw;
    const builtin = (event: BuiltinTokenEvent & DeletedEvent): string | undefined => {
      if (event.provider === 'cybersource') {
        const raw: CybersourcePayload = event.raw;
        return raw.eventType;
      }
      return undefined;
    };
    const updates = (event: BuiltinTokenEvent & UpdateEvent): TokenChange => event.changes[0];
    const anyUpdate = (event: UpdateEvent): TokenChange => event.changes[0];
    webhooks.onSuspended(anyProvider).onDeleted(builtin).onUpdated(updates).onUpdated(anyUpdate);
    // @ts-expect-error: onActive hands every built-in provider's events, not only TokenEx's
    webhooks.onActive(oneProvider);
    // @ts-expect-error: nor suspended ones
    webhooks.onActive(anyProvider);
    const custom = createTokenWebhooks<TokenEvent<'tokenex', TokenExPayload>>({ pruneIntervalMs: false });
    custom.onActive(oneProvider);
    // What onDeleted hands, and `BuiltinTokenEvent & DeletedEvent`, are each assignable to the other.
    type Handed = Parameters<Parameters<typeof webhooks.onDeleted>[0]>[0];
    const both = (handed: Handed, written: BuiltinTokenEvent & DeletedEvent): [BuiltinTokenEvent & DeletedEvent, Handed] => [handed, written];
    expect(typeof both).to.equal('function');
  });

  it('the names of 0.3 (ActiveEventOf, …) still compile, deprecated, and mean the same', () => {
    const checks: true[] = [
      same<ActiveEventOf<BuiltinTokenEvent>, Extract<BuiltinTokenEvent, ActiveEvent>>(true),
      same<SuspendedEventOf<BuiltinTokenEvent>, Extract<BuiltinTokenEvent, SuspendedEvent>>(true),
      same<DeletedEventOf<BuiltinTokenEvent>, Extract<BuiltinTokenEvent, DeletedEvent>>(true),
      same<ActiveEventOf<BuiltinTokenEvent>, Extract<BuiltinTokenEvent, { readonly type: 'token.active' }>>(true),
    ];
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const active = (event: ActiveEventOf<BuiltinTokenEvent>): 'ACTIVE' => event.state;
    const updated = (event: UpdateEventOf<BuiltinTokenEvent>): TokenChange => event.changes[0];
    webhooks.onActive(active).onUpdated(updated);
    expect(checks).to.have.length(4);
  });
});
