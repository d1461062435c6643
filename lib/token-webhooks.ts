import type { TokenEvent } from './events';
import { ConfigurationError } from './errors';
import type { Provider, ProviderOptions } from './providers/provider';
import { builtinProviders } from './providers/builtin';
import type { Storage } from './storage/storage';
import { MemoryStorage } from './storage/memory';
import { HandlerRegistry } from './pipeline/dispatch';
import type { HandlerKind } from './pipeline/dispatch';
import { EventProcessor } from './pipeline/process-event';
import { InboxWorker } from './pipeline/inbox-worker';
import { InboxCodec } from './pipeline/inbox-codec';
import { SecretBox } from './pipeline/secret-box';
import { isInboxStorage } from './storage/inbox';
import type { ErrorContext } from './pipeline/process-event';
import { createEndpoint } from './pipeline/receive';
import { logger } from './log';
import { oauthTokenEndpoint } from './auth/oauth-token-endpoint';
import { NI_TOKEN_AUDIENCE } from './providers/ni';

import type {
  BuiltinTokenEvent, ErrorHandler, EventHandler, Mounters, TokenWebhooks, TokenWebhooksOptions,
} from './token-webhooks-types';

const log = logger('webhooks');

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
    ...(options.renewalSchedule ? { renewalSchedule: options.renewalSchedule } : {}),
    deadlineMs: positive('deadlineMs', options.deadlineMs, 8_000),
    cacheMax: positive('cacheMax', options.cacheMax, 10_000),
    ...(inboxStorage ? { inbox: { storage: inboxStorage, codec, now, enqueued: () => worker?.kick() } } : {}),
  });
  if (inboxStorage) {
    const inbox = inboxOptions;
    const pollIntervalMs = inbox.pollIntervalMs === false ? false : positive('inbox.pollIntervalMs', inbox.pollIntervalMs, 1000);
    worker = new InboxWorker({
      storage: inboxStorage, codec, ready, reportError, now, pollIntervalMs,
      ...(options.renewalSchedule ? { renewalSchedule: options.renewalSchedule } : {}),
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
    const inbox = inboxStorage ? await inboxStorage.pruneInbox(olderThan) : undefined;
    return { ...(await storage.prune(olderThan)), ...(inbox === undefined ? {} : { inbox }) };
  };
  const timer = pruneInterval === undefined ? undefined : setInterval(() => {
    prune().then((r) => log('pruned %d claims, %d events, %d inbox entries', r.claims, r.events, r.inbox ?? 0), (error: unknown) => reportError(error, { provider: '*' }));
  }, pruneInterval);
  timer?.unref();

  const on = (kind: HandlerKind) => (handler: EventHandler<never>) => {
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
