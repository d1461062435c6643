import type { TokenChange, TokenEvent, TokenStateEvent } from './events';
import { ConfigurationError } from './errors';
import type { OptionsOf, Provider, ProviderOptions, RawOf } from './providers/provider';
import { builtinProviders } from './providers/builtin';
import type { BuiltinProviders } from './providers/builtin';
import type { EventQuery, PruneResult, Storage, StoredEvent, TokenStateRecord } from './storage/storage';
import { MemoryStorage } from './storage/memory';
import { HandlerRegistry } from './pipeline/dispatch';
import type { HandlerKind } from './pipeline/dispatch';
import { EventProcessor } from './pipeline/process-event';
import type { ErrorContext } from './pipeline/process-event';
import { createEndpoint } from './pipeline/receive';
import type { WebhookMiddleware } from './pipeline/receive';
import { logger } from './log';
import type { OAuthClientCredentialsOptions } from './auth/client-credentials';
import type { OAuthTokenEndpoint } from './auth/oauth-token-endpoint';
import { oauthTokenEndpoint } from './auth/oauth-token-endpoint';
import { NI_TOKEN_AUDIENCE } from './providers/ni';

const log = logger('webhooks');

/** The event of any built-in provider, with its `raw` payload typed: narrow on `provider`. */
export type BuiltinTokenEvent = {
  [K in keyof BuiltinProviders]: TokenEvent<K, RawOf<BuiltinProviders[K]>>
}[keyof BuiltinProviders];

type StateEventOf<E> = Extract<E, { readonly type: TokenStateEvent['type'] }>;
export type ActiveEventOf<E> = StateEventOf<E> & { readonly type: 'token.active'; readonly state: 'ACTIVE' };
export type SuspendedEventOf<E> = StateEventOf<E> & { readonly type: 'token.suspended'; readonly state: 'SUSPENDED' };
export type DeletedEventOf<E> = StateEventOf<E> & { readonly type: 'token.deleted'; readonly state: 'DELETED' };
export type UpdateEventOf<E> = E & { readonly changes: readonly [TokenChange, ...TokenChange[]] };

export type EventHandler<E> = (event: E) => unknown;
export type ErrorHandler = (error: unknown, context: ErrorContext) => unknown;

export interface TokenWebhooksOptions {
  /** Where claims, the event log and token states live. Default: a new `MemoryStorage`. */
  readonly storage?: Storage;
  /** How long a claim holds while handlers run, in ms. Default 30000 (under the providers' one-minute retry). */
  readonly leaseMs?: number;
  /** Entries of the in-memory cache of processed ids. Default 10000. */
  readonly cacheMax?: number;
  /** Retention of processed ids and logged events, in ms. Default 7 days. */
  readonly retentionMs?: number;
  /** How often to prune, in ms; `false` to prune only when you call `prune()`. Default one hour. */
  readonly pruneIntervalMs?: number | false;
  /** Clock (tests). */
  readonly now?: () => Date;
}

/** The answer to "can I charge this token now?". */
export interface TokenStateView extends TokenStateRecord {
  readonly chargeable: boolean;
}

type Mounters = {
  readonly [K in keyof BuiltinProviders]: (options?: OptionsOf<BuiltinProviders[K]>) => WebhookMiddleware;
};

export interface TokenWebhooks<E extends TokenEvent = BuiltinTokenEvent> extends Mounters {
  onActive(handler: EventHandler<ActiveEventOf<E>>): this;
  onSuspended(handler: EventHandler<SuspendedEventOf<E>>): this;
  onDeleted(handler: EventHandler<DeletedEventOf<E>>): this;
  /** Every event that carries an update (`changes` non-empty), including state events that also update. */
  onUpdated(handler: EventHandler<UpdateEventOf<E>>): this;
  /** Every event, stale ones included. */
  onEvent(handler: EventHandler<E>): this;
  /** Handler and storage failures. Handler failures of one event arrive as one error, or an `AggregateError`. */
  onError(handler: ErrorHandler): this;
  /** Mount any provider, yours included, as an endpoint. */
  endpoint<Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, options?: O): WebhookMiddleware;
  /**
   * The OAuth2 client-credentials token endpoint to give Network International. Mount it
   * (`app.post('/oauth/ni/token', tokens)`) and pass it, or the same options, as `ni({ auth: { oauth } })`.
   */
  niTokenEndpoint(options: OAuthClientCredentialsOptions): OAuthTokenEndpoint;
  getTokenState(provider: string, tokenRef: string): Promise<TokenStateView | undefined>;
  listEvents(query?: EventQuery): Promise<StoredEvent[]>;
  /** Remove processed ids and logged events older than the retention. */
  prune(): Promise<PruneResult>;
  /** Initialize storage now rather than on the first delivery. */
  ready(): Promise<void>;
  /** Refuse new deliveries (retry-later), stop pruning, close the storage. */
  close(): Promise<void>;
  readonly storage: Storage;
}

const DAY = 24 * 60 * 60 * 1000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError('ERR_NTW_OPTION', `${name} must be a positive number`);
  return value;
}

export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options: TokenWebhooksOptions = {}): TokenWebhooks<E> {
  const storage: Storage = options.storage ?? new MemoryStorage();
  const now = options.now ?? (() => new Date());
  const retentionMs = positive('retentionMs', options.retentionMs, 7 * DAY);
  const handlers = new HandlerRegistry();
  const errorHandlers: ErrorHandler[] = [];
  let closing = false;

  let initialized: Promise<void> | undefined;
  const ready = () => {
    initialized ??= Promise.resolve(storage.init?.()).catch((error: unknown) => {
      initialized = undefined; // try again on the next delivery
      throw error;
    });
    return initialized;
  };

  const reportError = (error: unknown, context: ErrorContext) => {
    log('error %s %s: %s', context.provider, context.eventId ?? '', (error as Error)?.message);
    for (const handler of errorHandlers) {
      try {
        void Promise.resolve(handler(error, context)).catch(() => undefined);
      } catch {
        // an error handler that throws must not turn a retry-later answer into a crash
      }
    }
  };

  const processor = new EventProcessor({
    storage, handlers, ready, reportError,
    leaseMs: positive('leaseMs', options.leaseMs, 30_000),
    cacheMax: positive('cacheMax', options.cacheMax, 10_000),
  });
  const context = { processor, now, closing: () => closing, reportError };

  const pruneInterval = options.pruneIntervalMs === false ? undefined : positive('pruneIntervalMs', options.pruneIntervalMs, 60 * 60 * 1000);
  const prune = async () => {
    await ready();
    return storage.prune(new Date(now().getTime() - retentionMs));
  };
  const timer = pruneInterval === undefined ? undefined : setInterval(() => {
    prune().then((r) => log('pruned %d claims, %d events', r.claims, r.events), (error: unknown) => reportError(error, { provider: '*' }));
  }, pruneInterval);
  timer?.unref();

  const on = (kind: HandlerKind) => function (this: TokenWebhooks<E>, handler: EventHandler<never>) {
    handlers.add(kind, handler);
    return webhooks;
  };

  const endpoint = <Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, providerOptions?: O) =>
    createEndpoint(provider, providerOptions ?? ({} as O), context);

  const mounters = Object.fromEntries(
    Object.values(builtinProviders).map((provider) => [provider.name, (o?: ProviderOptions) => endpoint(provider as Provider<string, unknown, ProviderOptions>, o)]),
  ) as unknown as Mounters;

  const webhooks: TokenWebhooks<E> = {
    ...mounters,
    onActive: on('active'),
    onSuspended: on('suspended'),
    onDeleted: on('deleted'),
    onUpdated: on('updated'),
    onEvent: on('event'),
    onError(handler) {
      if (typeof handler !== 'function') throw new TypeError('onError() needs a function');
      errorHandlers.push(handler);
      return webhooks;
    },
    endpoint,
    niTokenEndpoint: (tokenOptions) => oauthTokenEndpoint(tokenOptions, NI_TOKEN_AUDIENCE),
    async getTokenState(provider, tokenRef) {
      await ready();
      const record = await storage.getTokenState(provider, tokenRef);
      return record && { ...record, chargeable: record.state === 'ACTIVE' };
    },
    async listEvents(query) {
      await ready();
      return storage.listEvents(query);
    },
    prune,
    ready,
    async close() {
      closing = true;
      if (timer) clearInterval(timer);
      if (initialized) await initialized.catch(() => undefined);
      await storage.close?.();
    },
    storage,
  };
  return webhooks;
}
