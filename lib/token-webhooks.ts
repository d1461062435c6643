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
import { InboxWorker } from './pipeline/inbox-worker';
import { InboxCodec } from './pipeline/inbox-codec';
import { SecretBox } from './pipeline/secret-box';
import type { EncryptionKey } from './pipeline/secret-box';
import { isInboxStorage } from './storage/inbox';
import type { InboxEntry, InboxListQuery } from './storage/inbox';
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
  /**
   * `'sync'` (default): a delivery is acknowledged once its handlers completed and the completion is stored.
   * `'inbox'`: acknowledged once the event is durably stored; handlers run in the background from storage,
   * with retries, backoff and dead letters (see `inbox`). The storage must implement `InboxStorage`.
   */
  readonly mode?: 'sync' | 'inbox';
  /** How long a delivery may take before it is answered retry-later (`timeout`) while its work goes on, in ms. Default 8000. */
  readonly deadlineMs?: number;
  /** How long `close()` waits for running handlers before it closes the storage, in ms. Default 10000. */
  readonly shutdownTimeoutMs?: number;
  /** Inbox mode settings. */
  readonly inbox?: InboxOptions;
}

export interface InboxOptions {
  /** Attempts before an event goes to the dead letters. Default 8. */
  readonly maxAttempts?: number;
  /** Delay after the first failure, doubled on each further one, with jitter, in ms. Default 1000. */
  readonly backoffBaseMs?: number;
  /** Upper bound of a retry delay, in ms. Default 300000 (5 minutes). */
  readonly backoffMaxMs?: number;
  /** Events run at once by this process. Default 4. */
  readonly concurrency?: number;
  /** How often to look for due events, in ms; `false` to run them only through `processInbox()`. Default 1000. */
  readonly pollIntervalMs?: number | false;
  /** How long one instance holds an event while its handlers run, in ms. Default: `leaseMs`. */
  readonly leaseMs?: number;
  /** Source of jitter in [0, 1) (tests). Default `Math.random`. */
  readonly random?: () => number;
  /**
   * 32-byte key(s) (Buffer or base64) sealing each entry's secrets (the clear payload, an NI activation
   * code) with AES-256-GCM, so inbox handlers receive them as sync handlers do. The first key seals,
   * all open (rotation). Without a key, secrets are redacted before they are stored and handlers see them redacted.
   */
  readonly encryptionKey?: EncryptionKey | readonly EncryptionKey[];
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
  /**
   * Initialize storage now rather than on the first delivery. In inbox mode this also starts the
   * worker, as mounting the first endpoint does: call it in a process that runs handlers without endpoints.
   */
  ready(): Promise<void>;
  /**
   * Refuse new deliveries (retry-later `shutting_down`), stop pruning and the inbox worker, wait for
   * running handlers up to `shutdownTimeoutMs`, then close the storage.
   */
  close(): Promise<void>;
  /** Inbox mode: make a dead (or done) event pending again, to run its handlers anew. Answers how many entries. */
  replay(eventId: string, provider?: string): Promise<number>;
  /** Inbox mode: the events that failed `maxAttempts` times. */
  listDeadLetters(query?: InboxListQuery): Promise<InboxEntry[]>;
  /** Inbox mode: run every due event now (serverless, cron, tests); answers how many ran. */
  processInbox(): Promise<number>;
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

  const leaseMs = positive('leaseMs', options.leaseMs, 30_000);
  const shutdownTimeoutMs = positive('shutdownTimeoutMs', options.shutdownTimeoutMs, 10_000);
  const mode = options.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'inbox') throw new ConfigurationError('ERR_NTW_OPTION', "mode must be 'sync' or 'inbox'");
  if (mode === 'inbox' && !isInboxStorage(storage)) {
    throw new ConfigurationError('ERR_NTW_INBOX_STORAGE', "mode 'inbox' needs a storage that implements InboxStorage");
  }
  const inboxStorage = mode === 'inbox' && isInboxStorage(storage) ? storage : undefined;
  let worker: InboxWorker | undefined;
  const inboxOptions = options.inbox ?? {};
  const codec = new InboxCodec(inboxOptions.encryptionKey === undefined ? undefined : new SecretBox(inboxOptions.encryptionKey));
  const processor = new EventProcessor({
    storage, handlers, ready, reportError, leaseMs,
    deadlineMs: positive('deadlineMs', options.deadlineMs, 8_000),
    cacheMax: positive('cacheMax', options.cacheMax, 10_000),
    ...(inboxStorage ? { inbox: { storage: inboxStorage, codec, now, enqueued: () => worker?.kick() } } : {}),
  });
  if (inboxStorage) {
    const inbox = inboxOptions;
    const pollIntervalMs = inbox.pollIntervalMs === false ? false : positive('inbox.pollIntervalMs', inbox.pollIntervalMs, 1000);
    worker = new InboxWorker({
      storage: inboxStorage, codec, ready, reportError, now, pollIntervalMs,
      run: (event, payload) => processor.dispatch(event, payload),
      leaseMs: positive('inbox.leaseMs', inbox.leaseMs, leaseMs),
      maxAttempts: Math.floor(positive('inbox.maxAttempts', inbox.maxAttempts, 8)),
      concurrency: Math.floor(positive('inbox.concurrency', inbox.concurrency, 4)),
      backoff: {
        baseMs: positive('inbox.backoffBaseMs', inbox.backoffBaseMs, 1000),
        maxMs: positive('inbox.backoffMaxMs', inbox.backoffMaxMs, 300_000),
        ...(inbox.random ? { random: inbox.random } : {}),
      },
    });
  }
  // The worker starts when the first endpoint is mounted (or on ready()): like deliveries, it must not
  // run events before the handlers are registered, which happens before mounting. Pending events of an
  // earlier run then resume by themselves.
  let workerStarted = false;
  const startWorker = () => {
    if (workerStarted || !worker || closing) return;
    workerStarted = true;
    worker.start();
  };
  const requireInbox = (method: string) => {
    if (!inboxStorage || !worker) throw new ConfigurationError('ERR_NTW_INBOX_MODE', `${method}() needs mode: 'inbox'`);
    return { inbox: inboxStorage, inboxWorker: worker };
  };
  const context = { processor, now, closing: () => closing, reportError };

  const pruneInterval = options.pruneIntervalMs === false ? undefined : positive('pruneIntervalMs', options.pruneIntervalMs, 60 * 60 * 1000);
  const prune = async () => {
    await ready();
    const olderThan = new Date(now().getTime() - retentionMs);
    if (inboxStorage) log('pruned %d inbox entries', await inboxStorage.pruneInbox(olderThan));
    return storage.prune(olderThan);
  };
  const timer = pruneInterval === undefined ? undefined : setInterval(() => {
    prune().then((r) => log('pruned %d claims, %d events', r.claims, r.events), (error: unknown) => reportError(error, { provider: '*' }));
  }, pruneInterval);
  timer?.unref();

  const on = (kind: HandlerKind) => function (this: TokenWebhooks<E>, handler: EventHandler<never>) {
    handlers.add(kind, handler);
    return webhooks;
  };

  const endpoint = <Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, providerOptions?: O) => {
    const middleware = createEndpoint(provider, providerOptions ?? ({} as O), context);
    startWorker();
    return middleware;
  };

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
    async ready() {
      await ready();
      startWorker();
    },
    async close() {
      closing = true;
      if (timer) clearInterval(timer);
      const deadline = Date.now() + shutdownTimeoutMs;
      const drained = await processor.drain(shutdownTimeoutMs);
      const stopped = worker ? await worker.stop(Math.max(deadline - Date.now(), 1)) : true;
      if (!drained || !stopped) log('close: handlers still running after %dms; their leases will expire', shutdownTimeoutMs);
      if (initialized) await initialized.catch(() => undefined);
      await storage.close?.();
    },
    async replay(eventId, provider) {
      const { inbox, inboxWorker } = requireInbox('replay');
      await ready();
      const count = await inbox.requeue(eventId, provider, now());
      if (count > 0) inboxWorker.kick();
      return count;
    },
    async listDeadLetters(query) {
      const { inbox } = requireInbox('listDeadLetters');
      await ready();
      return inbox.listDeadLetters(query);
    },
    async processInbox() {
      return requireInbox('processInbox').inboxWorker.runDue();
    },
    storage,
  };
  return webhooks;
}
