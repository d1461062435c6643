import type { ActiveEvent, DeletedEvent, SuspendedEvent, TokenEvent, UpdateEvent } from './events';
import type { ErrorContext, HandlerErrorContext, ReceiverErrorContext } from './errors';
import type { NtwError } from './ntw-error';
import type { OptionsOf, Provider, ProviderOptions, RawOf } from './providers/provider';
import type { BuiltinProviders } from './providers/builtin';
import type { EntryQuery, Storage } from './storage/storage';
import type { WebhookMiddleware } from './transport/node/middleware';
import type { Mounters } from './transport/node/mounters';
import type { ReadyOptions } from './transport/node/ready';
import type { FetchHandler } from './transport/fetch';
import type { DeliveryInput } from './pipeline/request';
import type { DeliveryResponse } from './pipeline/acknowledge';
import type { DeliveryOutcome } from './providers/provider';
import type { EncryptionKey } from './ledger/secret-box';
import type { RenewalSchedule } from './ledger/lease-heartbeat';
import type { ReferenceKey } from './pipeline/card-reference';
import type { TelemetryOptions } from './telemetry/telemetry';
import type { RefusalHandler } from './telemetry/refusal';
import type { DeliveryMode } from './shared/mode';
import type { ConsoleOptions } from './console/options';
import type { ConsoleMiddleware } from './console/console';
import type { RunsReport } from './ledger/active-runs';
import type { HandlerContext } from './ledger/handlers';
import type { StoredEvent, TokenStateView } from './ledger/reads';
import type { Logger } from './log';
import type { ReplayManyQuery } from './ledger/replay-many';

/** The event of any built-in provider, with its `raw` payload typed: narrow on `provider`. */
export type BuiltinTokenEvent = {
  [K in keyof BuiltinProviders]: TokenEvent<K, RawOf<BuiltinProviders[K]>>
}[keyof BuiltinProviders];

/** @deprecated Since 0.4: `E & ActiveEvent` (`Extract<E, ActiveEvent>`), the one family of event types. Removed in 0.5. */
export type ActiveEventOf<E> = Extract<E, ActiveEvent>;
/** @deprecated Since 0.4: `E & SuspendedEvent` (`Extract<E, SuspendedEvent>`), the one family of event types. Removed in 0.5. */
export type SuspendedEventOf<E> = Extract<E, SuspendedEvent>;
/** @deprecated Since 0.4: `E & DeletedEvent` (`Extract<E, DeletedEvent>`), the one family of event types. Removed in 0.5. */
export type DeletedEventOf<E> = Extract<E, DeletedEvent>;
/** @deprecated Since 0.4: `E & UpdateEvent`, the one family of event types. Removed in 0.5. */
export type UpdateEventOf<E> = E & Pick<UpdateEvent, 'changes'>;

export type EventHandler<E> = (event: E, context: HandlerContext) => unknown;
/**
 * `onError`'s handler. Without `context.event`, the receiver found the failure and `error` is one of the package's
 * errors (`isNtwError(error)` narrows it); with it, that event's handlers failed and `error` is what they threw
 * (an `AggregateError` of them when several did, a `ReportedError` `ERR_NTW_HANDLER_TIMEOUT` when they ran too long).
 */
export type ErrorHandler<E extends TokenEvent = TokenEvent> = (error: unknown, context: ErrorContext<E>) => unknown;
export type { ErrorContext, HandlerErrorContext, NtwError, ReceiverErrorContext };
export type { HandlerContext, StoredEvent, TokenStateView };

export type { DeliveryMode };

export interface TokenWebhooksOptions {
  /** Where the ledger and token states live. Default: a new `MemoryStorage`. */
  readonly storage?: Storage;
  /**
   * `'sync'` (default): a delivery is acknowledged once its handlers completed and the completion is stored.
   * `'inbox'`: acknowledged once the event is durably stored; handlers run in the background from storage,
   * with retries, backoff and dead letters (see `inbox`).
   */
  readonly mode?: DeliveryMode;
  /**
   * How long a run holds its entry, in ms; renewed every third of it while handlers run. A renewal that fails is
   * tried again while the lease lasts, so it must leave room for two storage calls: at least 3 × `storageTimeoutMs`
   * (`ERR_NTW_LEASE_TOO_SHORT`). Default 30000.
   */
  readonly leaseMs?: number;
  /**
   * How long an event's handlers may run, in ms. Past it the run counts as failed (inbox mode: retried after a
   * backoff; sync mode: by the provider's next retry), its lease is no longer renewed, its worker slot is freed,
   * `onError` receives `ERR_NTW_HANDLER_TIMEOUT`, and the handlers' `signal` aborts: they are abandoned, not
   * stopped. Default 120000: above the request timeouts of payment API clients (Stripe's Node client: 80 s).
   */
  readonly handlerTimeoutMs?: number;
  /** Entries of the in-memory cache of finished ids. Default 10000. */
  readonly cacheMax?: number;
  /** Retention of finished (`done`) entries, in ms. Default 7 days. */
  readonly retentionMs?: number;
  /** How often to prune, in ms; `false` to prune only when you call `prune()`. Default one hour. */
  readonly pruneIntervalMs?: number | false;
  /** How long a delivery may take before it is answered retry-later (`timeout`) while its work goes on, in ms. Default 8000. */
  readonly deadlineMs?: number;
  /**
   * Longest wait for one storage call, in ms, whatever the adapter's own timeout: a delivery's, the inbox worker's,
   * a lease renewal's, and those of `getTokenState`, `listEvents`, `replay`, `prune`, `health()` and the console.
   * Past it the call counts as failed: `storage_unavailable` for the delivery, a `StorageError`
   * (`ERR_NTW_STORAGE_TIMEOUT`) for `onError`, or for the caller of a method, which rejects with it. The call itself is abandoned, not cancelled: the adapters bound each query themselves, a
   * little under it (their `timeoutMs`, default 4000), and discard a connection that stopped answering.
   * Default 5000.
   */
  readonly storageTimeoutMs?: number;
  /**
   * How long `close()` waits for running handlers and then for the storage to close, in ms: `close()`
   * resolves within it whatever the database does. Default 10000.
   */
  readonly shutdownTimeoutMs?: number;
  /**
   * 32-byte key(s) (Buffer or base64) sealing each entry's secrets (the clear payload, an NI activation code)
   * with AES-256-GCM, so events run from storage (inbox mode, replays) carry them as a live delivery does.
   * The first key seals, all open (rotation). Without a key, secrets are redacted before they are stored.
   */
  readonly encryptionKey?: EncryptionKey | readonly EncryptionKey[];
  /**
   * A secret (32+ bytes: a Buffer or a string) for the keyed hash that replaces a card number wherever one
   * would identify a token or an event (NI's `card.id` of type `cardNumber`). Without it, such a notification
   * is answered retry-later and reported (`ERR_NTW_REFERENCE_KEY`). Keep it for good: references change with it.
   */
  readonly referenceKey?: ReferenceKey;
  /** How far ahead of the time of receipt an event may be dated before its time is clamped to the receipt, in ms. Default 300000. */
  readonly clockSkewMs?: number;
  /** Inbox mode settings. */
  readonly inbox?: InboxOptions;
  /** Clock for `receivedAt` (tests). */
  readonly now?: () => Date;
  /** Timer of lease renewals (tests): `(renew, intervalMs) => cancel`. Default: an unref'd `setInterval`. */
  readonly renewalSchedule?: RenewalSchedule;
  /**
   * Where spans and metrics go (docs/telemetry.md). Default: the global OpenTelemetry providers,
   * which record nothing until the app installs an OpenTelemetry SDK. `false`: none at all.
   */
  readonly telemetry?: TelemetryOptions | false;
  /**
   * Where log records go: a pino logger (or any object with its `error`, `warn`, `info` and `debug` methods), called
   * with an object first (`component`, and as known `provider`, `eventId`, `code`, `status`, `durationMs`) and the
   * message second. Records name providers, ids, codes and times, never a payload or a secret, and every string in
   * them is scrubbed of card numbers, emails and phone numbers. Default: `debug`, under `network-token-webhooks:*`.
   */
  readonly logger?: Logger;
}

export interface InboxOptions {
  /** Attempts before an event becomes a dead letter. Default 8. */
  readonly maxAttempts?: number;
  /** Delay after the first failure, doubled on each further one, with jitter, in ms. Default 1000. */
  readonly backoffBaseMs?: number;
  /** Upper bound of a retry delay, in ms. Default 300000 (5 minutes). */
  readonly backoffMaxMs?: number;
  /** Events run at once by this process. Default 4. */
  readonly concurrency?: number;
  /** How often to look for due events, in ms; `false` to run them only through `processInbox()`. Default 1000. */
  readonly pollIntervalMs?: number | false;
  /** Source of jitter in [0, 1) (tests). Default `Math.random`. */
  readonly random?: () => number;
}

export type { ReadyOptions };

/** What `health()` found. */
export interface HealthReport {
  /** A delivery can be accepted now: the storage can record it, a handler is registered, `close()` has not begun, and the runs are not stalled. */
  readonly ok: boolean;
  readonly storage: {
    /** Its probe passed (`Storage.probe`: a write it discards; a read for an adapter without one), and no `recentFailure`. */
    readonly ok: boolean;
    /** How long the storage took to answer (or to fail), in ms. */
    readonly latencyMs: number;
    /** Why the probe failed: the `StorageError` message (it names the database, never credentials). */
    readonly error?: string;
    /**
     * A delivery's storage call (`admit`, `lease`, `settle`) that failed in the last 30 s, by the receiver's clock
     * (`now`), with no delivery recorded since: the storage is not ok while there is one. A disk that is full fails
     * only at commit, which a probe that rolls back never reaches.
     */
    readonly recentFailure?: {
      readonly code: 'ERR_NTW_STORAGE_TIMEOUT' | 'ERR_NTW_STORAGE_UNAVAILABLE';
      readonly operation: string;
      readonly at: Date;
      /** The `StorageError` message. */
      readonly error: string;
    };
  };
  /** Handlers registered, of every kind: 0 means deliveries are answered retry-later (`ERR_NTW_NO_HANDLERS`). */
  readonly handlers: number;
  readonly closing: boolean;
  /**
   * This process's runs: `running` entries whose handlers run now; `abandoned` handlers that passed
   * `handlerTimeoutMs` and have not returned; `stalled` (and `ok` false) once as many are abandoned as the worker
   * has slots (`inbox.concurrency`): whatever hangs them (a downstream that never answers) is likely to hang the next.
   */
  readonly runs: RunsReport;
}

/** What `listEvents` selects: the ledger's own query. */
export type EventQuery = EntryQuery;

/** A transport-free endpoint: give it a delivery, get the answer to send. */
export type Receiver = (input: DeliveryInput) => Promise<DeliveryResponse & { readonly outcome: DeliveryOutcome }>;

/**
 * `[options]`, optional when `O` asks for nothing (a provider of yours without required options); else `[options]`
 * required: a built-in provider's options name its credentials, an `authenticate` hook or `auth: 'none'`.
 */
export type OptionsArgument<O> = {} extends O ? [options?: O] : [options: O];

export type { Mounters };

export interface TokenWebhooks<E extends TokenEvent = BuiltinTokenEvent> extends Mounters {
  /**
   * `token.active` events that change the token's state (or make it first known). The handler gets `E`'s
   * `ActiveEvent`s: a handler declared apart takes an `ActiveEvent` (any provider's), an `ActiveEvent<'tokenex', TokenExPayload>`,
   * or a `BuiltinTokenEvent & ActiveEvent` (`raw` narrowed by `provider`).
   */
  onActive(handler: EventHandler<Extract<E, ActiveEvent>>): this;
  /** `token.suspended` events that change the token's state: `E`'s `SuspendedEvent`s. */
  onSuspended(handler: EventHandler<Extract<E, SuspendedEvent>>): this;
  /** `token.deleted` events that change the token's state: `E`'s `DeletedEvent`s. */
  onDeleted(handler: EventHandler<Extract<E, DeletedEvent>>): this;
  /**
   * Every event that carries an update (`changes` non-empty), including state events that also update: `E`'s events
   * that are an `UpdateEvent` (`E & UpdateEvent`).
   */
  onUpdated(handler: EventHandler<E & Pick<UpdateEvent, 'changes'>>): this;
  /** Every event, stale ones included. */
  onEvent(handler: EventHandler<E>): this;
  /**
   * Handler and storage failures. Handler failures of one event arrive as one error, or an `AggregateError`,
   * with the event as `context.event`; a failed storage call as one `StorageError` (`ERR_NTW_STORAGE_TIMEOUT`,
   * `ERR_NTW_STORAGE_UNAVAILABLE`). Without `context.event` the error is one of the package's (`isNtwError`).
   */
  onError(handler: ErrorHandler<E>): this;
  /**
   * Deliveries refused for good (400, 401, 405, 413, 415: the sender's retry cannot succeed), with the
   * provider and the documented code: a provider whose deliveries are refused shows here, and in the
   * `ntw.deliveries` metric, before its subscription is suspended. Never given the request's content.
   */
  onRefused(handler: RefusalHandler): this;
  /** Mount any provider, yours included, as an Express endpoint; a built-in one also by its name (`endpoint('tokenex', { auth })`). */
  endpoint<N extends keyof BuiltinProviders>(provider: N, options: OptionsOf<BuiltinProviders[N]>): WebhookMiddleware;
  endpoint<Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, ...options: OptionsArgument<O>): WebhookMiddleware;
  /**
   * The same endpoint without HTTP: for a queue consumer, a serverless function or another framework. Give it the
   * request's stream (`stream`) and it reads the body with the endpoint's size limit and body deadline.
   */
  receiver<N extends keyof BuiltinProviders>(provider: N, options: OptionsOf<BuiltinProviders[N]>): Receiver;
  receiver<Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, ...options: OptionsArgument<O>): Receiver;
  /**
   * The same endpoint as a WHATWG fetch handler, `(request: Request) => Promise<Response>`: for Next.js route
   * handlers, Hono, Bun, Deno and other Web-standard servers. The body is read from `request.body` with the
   * endpoint's size limit and body deadline.
   */
  fetchHandler<N extends keyof BuiltinProviders>(provider: N, options: OptionsOf<BuiltinProviders[N]>): FetchHandler;
  fetchHandler<Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, ...options: OptionsArgument<O>): FetchHandler;
  /**
   * The token's state as its events set it. `provider` is one of the receiver's event type (`E`): the built-in
   * four by default; declare yours in `E` (`createTokenWebhooks<BuiltinTokenEvent | TokenEvent<'acme'>>()`).
   */
  getTokenState(provider: E['provider'], tokenRef: string): Promise<TokenStateView | undefined>;
  /** The ledger: every event with its outcome, oldest first. */
  listEvents(query?: EventQuery): Promise<StoredEvent[]>;
  /**
   * The operations console, to mount where you want (`app.use('/ops/token-webhooks', webhooks.console({ authorize }))`):
   * deliveries per minute by outcome, open entries, tokens by state, a token's timeline, dead letters and quarantined
   * deliveries with a replay action. Throws `ERR_NTW_CONSOLE_AUTH` without `authorize` or `credentials`.
   */
  console(options: ConsoleOptions): ConsoleMiddleware;
  /** Make a failed, dead or done event pending again and run it (sync mode: now; inbox mode: by the worker). Answers how many. */
  replay(eventId: string, provider?: string): Promise<number>;
  /**
   * Replay every `dead` (or every `failed`) event that matches, oldest first, up to `limit` (default 1,000, at most
   * 10,000): each is made pending again, then run by the worker (inbox mode) or, one at a time, in the background
   * (sync mode; `close()` waits for them). Answers how many were replayed once they are pending. A second call right
   * after answers 0: what it replayed is no longer dead or failed. Past `limit`, call it again for the next ones.
   */
  replayMany(query: ReplayManyQuery): Promise<{ readonly replayed: number }>;
  /** Remove finished (`done`) entries older than the retention. */
  prune(): Promise<{ readonly entries: number }>;
  /**
   * Initialize storage now rather than on the first delivery (a failure rejects with a `StorageError` naming
   * the database, `ERR_NTW_STORAGE_UNAVAILABLE`, or with the `ConfigurationError` of a storage the adapter refuses
   * as configured: `ERR_NTW_REDIS_EVICTION`). In inbox mode this also starts the worker, as mounting the
   * first endpoint does: call it in a process that runs handlers without endpoints. With `{ app }`, also checks
   * how the endpoints are mounted in it and that a handler is registered: call it before `listen()`.
   */
  ready(options?: ReadyOptions): Promise<void>;
  /**
   * A readiness check, for a load balancer's or an orchestrator's probe: `ok` when a delivery could be recorded at
   * this moment. It asks the storage now (its `probe`, a write it discards, in one round trip bounded by
   * `storageTimeoutMs`), and is not ok for 30 s after a delivery's storage call failed unless one was recorded since.
   */
  health(): Promise<HealthReport>;
  /**
   * Refuse new deliveries (retry-later `shutting_down`), stop pruning and the inbox worker, wait for
   * running handlers up to `shutdownTimeoutMs`, then close the storage (bounded by the same timeout).
   */
  close(): Promise<void>;
  readonly mode: DeliveryMode;
  readonly storage: Storage;
}

/** `createTokenWebhooks({ mode: 'inbox' })`: the same, plus what only a background worker has. */
export interface InboxTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent> extends TokenWebhooks<E> {
  readonly mode: 'inbox';
  /** The events that failed `maxAttempts` times. */
  listDeadLetters(query?: Omit<EventQuery, 'status'>): Promise<StoredEvent[]>;
  /** Run every due event now (serverless, cron, tests); answers how many ran. */
  processInbox(): Promise<number>;
}
