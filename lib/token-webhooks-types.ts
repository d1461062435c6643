import type { TokenChange, TokenEvent, TokenStateEvent } from './events';
import type { OptionsOf, Provider, ProviderOptions, RawOf } from './providers/provider';
import type { BuiltinProviders } from './providers/builtin';
import type { EventQuery, PruneResult, Storage, StoredEvent, TokenStateRecord } from './storage/storage';
import type { InboxEntry, InboxListQuery } from './storage/inbox';
import type { ErrorContext } from './pipeline/process-event';
import type { WebhookMiddleware } from './pipeline/receive';
import type { EncryptionKey } from './pipeline/secret-box';
import type { RenewalSchedule } from './pipeline/lease-heartbeat';
import type { OAuthClientCredentialsOptions } from './auth/client-credentials';
import type { OAuthTokenEndpoint } from './auth/oauth-token-endpoint';

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
   * Timer of lease renewals (tests): called with the renewal and its interval (a third of the lease) while
   * an event runs; returns a function that cancels it. Default: an unref'd `setInterval`.
   */
  readonly renewalSchedule?: RenewalSchedule;
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

export type Mounters = {
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
  /** Remove processed ids, logged events and (inbox mode) finished inbox entries older than the retention. */
  prune(): Promise<PruneResult & { readonly inbox?: number }>;
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
