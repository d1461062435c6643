import { randomUUID } from 'node:crypto';
import type { TokenEvent } from './events';
import type { ErrorReport } from './ntw-error';
import { ConfigurationError, ReportedError } from './errors';
import type { Provider, ProviderOptions } from './providers/provider';
import { builtinProviders } from './providers/builtin';
import type { Entry } from './storage/storage';
import { resolveOptions } from './options';
import { logger } from './log';
import { HandlerRegistry } from './pipeline/run-handlers';
import type { HandlerKind } from './pipeline/run-handlers';
import type { DeliveryCore } from './pipeline/core';
import { Dedupe } from './pipeline/dedupe';
import { ActiveRuns } from './pipeline/active-runs';
import { resolveEndpoint } from './pipeline/endpoint';
import type { Endpoint } from './pipeline/endpoint';
import { replayQuarantined } from './pipeline/replay-quarantined';
import { QUARANTINE_PREFIX } from './pipeline/quarantine';
import { cardReferences } from './pipeline/card-reference';
import { deliver, noHandlers } from './pipeline/deliver';
import { observeDelivery } from './telemetry/observe-delivery';
import type { Refusal, RefusalHandler } from './telemetry/refusal';
import { RefusalTally } from './telemetry/refusal-tally';
import { storageCounts } from './telemetry/storage-counts';
import { Telemetry } from './telemetry/telemetry';
import { nodeMiddleware } from './middleware/node';
import { EntryCodec } from './delivery/entry-codec';
import { SecretBox } from './delivery/secret-box';
import { LedgerWorker } from './delivery/worker';
import { withDeadline } from './delivery/deadline';
import { FleetClock } from './delivery/fleet-clock';
import { describeError } from './delivery/describe-error';
import { boundedStorageCall, storageError } from './delivery/storage-call';
import { findMounts, mountProblems } from './middleware/mount-check';
import { probeMounts } from './middleware/mount-probe';
import { StorageFailures } from './delivery/storage-failures';
import { checkHealth } from './health';
import { createConsole } from './console/console';
import type { ConsoleMiddleware } from './console/console';
import type {
  BuiltinTokenEvent, ErrorHandler, EventHandler, EventQuery, InboxTokenWebhooks, Mounters, Receiver, StoredEvent,
  TokenWebhooks, TokenWebhooksOptions,
} from './types';

const log = logger('webhooks');

/**
 * One receiver for every provider: handlers, the ledger, and the endpoints to mount. Wiring only: options are
 * checked in `options.ts`, a delivery runs in `pipeline/deliver.ts`, stored entries in `delivery/worker.ts`.
 */
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options: TokenWebhooksOptions & { readonly mode: 'inbox' }): InboxTokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options?: TokenWebhooksOptions & { readonly mode?: 'sync' }): TokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options?: TokenWebhooksOptions): TokenWebhooks<E> | InboxTokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options: TokenWebhooksOptions = {}): TokenWebhooks<E> | InboxTokenWebhooks<E> {
  const settings = resolveOptions(options);
  const { storage } = settings;
  const clock = new FleetClock(settings.now, storage.clock ? () => storage.clock!() : undefined);
  const now = () => clock.now();
  const handlers = new HandlerRegistry();
  const errorHandlers: ErrorHandler[] = [];
  const refusalHandlers: RefusalHandler[] = [];
  const codec = new EntryCodec(settings.encryptionKey === undefined ? undefined : new SecretBox(settings.encryptionKey));
  const instance = randomUUID();
  let sequence = 0;
  let closing = false;

  // An instance whose own clock is far off the storage's is told once (it still runs on the storage's clock).
  let skewed = false;
  const readClock = async () => {
    await clock.sync();
    const offset = clock.offsetMs();
    if (Math.abs(offset) <= settings.clockSkewMs) skewed = false;
    else if (!skewed) {
      skewed = true;
      reportError(new ReportedError('ERR_NTW_CLOCK_SKEW', `this instance's clock is ${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'behind' : 'ahead of'} `
        + `the storage's, more than clockSkewMs: times are taken from the storage's clock, but fix the instance's time service`), { provider: '*' });
    }
  };

  let initialized: Promise<void> | undefined;
  let initializedNow = false;
  const ready = () => {
    initialized ??= Promise.resolve().then(() => storage.init?.()).then(readClock).then(() => {
      initializedNow = true;
      if (!closing) clock.every(() => { readClock().catch((error: unknown) => reportError(storageError('clock', error, storage), { provider: '*' })); });
    }, (error: unknown) => {
      initialized = undefined; // try again on the next delivery
      // A refusal of the data found (ERR_NTW_REDIS_EVICTION, a schema too new or behind, 0.1 instances still running) keeps its own code.
      throw error instanceof ConfigurationError ? error : storageError('init', error, storage);
    });
    return initialized;
  };

  // The host's own hooks must not turn an answer into a crash, whatever they throw or reject with.
  const callSafely = <A extends unknown[]>(hooks: ReadonlyArray<(...args: A) => unknown>, ...args: A) => {
    for (const hook of hooks) {
      try {
        void Promise.resolve(hook(...args)).catch(() => undefined);
      } catch {
        // ignored: see above
      }
    }
  };
  const reportError = (...[error, context]: ErrorReport) => {
    log('error %s %s: %s', context.provider, context.eventId ?? '', describeError(error));
    callSafely(errorHandlers, error, context);
  };

  // What the console shows of refused deliveries, which never reach storage: this process's, since it started.
  const refusals = new RefusalTally(now());
  const refused = (refusal: Refusal) => {
    refusals.record(refusal);
    callSafely(refusalHandlers, refusal);
  };

  let worker: LedgerWorker | undefined;
  const core: DeliveryCore = {
    storage, handlers, codec, now, ready, reportError, refused,
    initialized: () => initializedNow,
    telemetry: new Telemetry(settings.telemetry, storageCounts(storage, settings.storageTimeoutMs, ready)),
    storageFailures: new StorageFailures(now),
    dedupe: new Dedupe(settings.cacheMax),
    runs: new ActiveRuns(),
    owner: () => `${instance}:${++sequence}`,
    leaseMs: settings.leaseMs,
    storageTimeoutMs: settings.storageTimeoutMs,
    deadlineMs: settings.deadlineMs,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    clockSkewMs: settings.clockSkewMs,
    cardReference: cardReferences(settings.referenceKey),
    closing: () => closing,
    ...(settings.renewalSchedule ? { renewalSchedule: settings.renewalSchedule } : {}),
    ...(settings.mode === 'inbox' ? { inbox: { wake: () => worker?.wake() } } : {}),
  };
  // In sync mode the worker only runs replays (failures wait for the next replay or provider retry).
  worker = new LedgerWorker(core, settings.mode === 'inbox' ? settings.inbox : { ...settings.inbox, maxAttempts: Infinity, pollIntervalMs: false });

  // The inbox worker starts when the first endpoint is mounted (or on ready()): like deliveries, it must not
  // run events before the handlers are registered, which happens before mounting.
  let workerStarted = false;
  const startWorker = () => {
    if (workerStarted || closing || settings.mode !== 'inbox') return;
    workerStarted = true;
    worker.start();
  };

  const prune = async () => {
    await ready();
    return storage.prune(new Date(now().getTime() - settings.retentionMs));
  };
  const timer = settings.pruneIntervalMs === false ? undefined : setInterval(() => {
    prune().then((r) => log('pruned %d entries', r.entries), (error: unknown) => reportError(storageError('prune', error, storage), { provider: '*' }));
  }, settings.pruneIntervalMs);
  timer?.unref();

  const listEvents = async (query: EventQuery = {}): Promise<StoredEvent[]> => {
    await ready();
    return (await storage.listEntries(query)).map((entry) => storedEvent(entry, codec));
  };

  const on = (kind: HandlerKind) => (handler: EventHandler<never>) => {
    handlers.add(kind, handler);
    return webhooks;
  };

  /** The endpoints mounted, by provider (the latest of each): a quarantined delivery is replayed through its provider's. */
  const endpoints = new Map<string, Endpoint>();
  const mount = <Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, providerOptions?: O): Endpoint => {
    const resolved = resolveEndpoint(provider, providerOptions ?? ({} as O));
    endpoints.set(provider.name, resolved);
    startWorker();
    core.telemetry.start();
    return resolved;
  };

  const endpoint = (provider: AnyProvider | string, providerOptions?: ProviderOptions) =>
    nodeMiddleware(mount(providerOf(provider), providerOptions), core);

  const receiver = (provider: AnyProvider | string, providerOptions?: ProviderOptions): Receiver => {
    const resolved = mount(providerOf(provider), providerOptions);
    return async (input) => {
      const { outcome, response } = await observeDelivery(core, resolved, () => deliver(resolved, core, input));
      return { ...response, outcome };
    };
  };

  const mounters = Object.fromEntries(
    Object.values(builtinProviders).map((provider) => [provider.name, (o?: ProviderOptions) => endpoint(provider as AnyProvider, o)]),
  ) as unknown as Mounters;

  const inboxOnly = {
    listDeadLetters: (query: Omit<EventQuery, 'status'> = {}) => listEvents({ ...query, status: 'dead' }),
    processInbox: () => worker.runDue(),
  };

  const consoles = new Set<ConsoleMiddleware>();
  const webhooks: TokenWebhooks<E> = {
    ...mounters,
    onActive: on('active'),
    onSuspended: on('suspended'),
    onDeleted: on('deleted'),
    onUpdated: on('updated'),
    onEvent: on('event'),
    onError(handler) {
      if (typeof handler !== 'function') throw new ConfigurationError('ERR_NTW_HANDLER', `onError() needs a function, not ${handler === null ? 'null' : typeof handler}`);
      errorHandlers.push(handler as ErrorHandler); // called with events of the receiver's, typed E by the app
      return webhooks;
    },
    onRefused(handler) {
      if (typeof handler !== 'function') throw new ConfigurationError('ERR_NTW_HANDLER', `onRefused() needs a function, not ${handler === null ? 'null' : typeof handler}`);
      refusalHandlers.push(handler);
      return webhooks;
    },
    endpoint: endpoint as TokenWebhooks<E>['endpoint'],
    receiver: receiver as TokenWebhooks<E>['receiver'],
    async getTokenState(provider, tokenRef) {
      await ready();
      const record = await storage.getTokenState(provider, tokenRef);
      return record && { ...record, chargeable: record.state === 'ACTIVE' };
    },
    listEvents,
    console(consoleOptions) {
      const made = createConsole({
        storage, mode: settings.mode, now, ready,
        replay: (eventId, provider) => boundedStorageCall(settings.storageTimeoutMs + settings.deadlineMs, 'replay', () => webhooks.replay(eventId, provider), storage),
        providers: () => [...new Set([...endpoints.keys(), ...Object.keys(builtinProviders)])],
        refusals: () => refusals.snapshot(),
        call: (operation, call) => boundedStorageCall(settings.storageTimeoutMs, operation, async () => {
          await ready();
          return call();
        }, storage),
      }, consoleOptions);
      consoles.add(made);
      return made;
    },
    async replay(eventId, provider) {
      await ready();
      if (eventId.startsWith(QUARANTINE_PREFIX)) {
        let replayed = 0;
        for (const [name, mounted] of endpoints) {
          if (provider !== undefined && name !== provider) continue;
          const entry = await storage.getEntry({ provider: name, id: eventId });
          if (entry?.status === 'quarantined' && await replayQuarantined(mounted, core, entry)) replayed++;
        }
        return replayed;
      }
      const keys = await storage.requeue(eventId, provider);
      if (settings.mode === 'inbox') worker.wake();
      else for (const key of keys) await worker.runOne(key);
      return keys.length;
    },
    prune,
    async ready(readyOptions = {}) {
      if (readyOptions.app !== undefined) {
        const mounts = findMounts(readyOptions.app);
        const [problem] = mountProblems(mounts);
        if (problem) throw problem;
        const [probed] = await probeMounts(readyOptions.app, mounts);
        if (probed) throw probed;
        if (handlers.size === 0) throw noHandlers();
      }
      await ready();
      startWorker();
    },
    health: () => checkHealth({
      storage, ready, storageTimeoutMs: settings.storageTimeoutMs, storageFailures: core.storageFailures, handlers: handlers.size, closing,
      runs: core.runs.report(settings.inbox.concurrency),
    }),
    async close() {
      closing = true;
      if (timer) clearInterval(timer);
      clock.stop();
      for (const made of consoles) made.close();
      const deadline = Date.now() + settings.shutdownTimeoutMs;
      const remaining = () => Math.max(deadline - Date.now(), 1);
      const drained = await core.dedupe.drain(settings.shutdownTimeoutMs);
      const stopped = await worker.stop(remaining());
      if (!drained || !stopped) log('close: handlers still running after %dms; their leases will expire', settings.shutdownTimeoutMs);
      // An init still connecting to a silent database must not hold close() past its timeout either.
      if (initialized) await withDeadline(initialized.catch(() => undefined), remaining(), () => undefined);
      const closed = await withDeadline(Promise.resolve(storage.close?.()).then(() => true), remaining(), () => false).catch(() => true);
      if (!closed) log('close: the storage did not close within %dms', settings.shutdownTimeoutMs);
    },
    mode: settings.mode,
    storage,
    ...(settings.mode === 'inbox' ? inboxOnly : {}),
  };
  return webhooks;
}

type AnyProvider = Provider<string, unknown, ProviderOptions>;

/** A provider given as itself, or a built-in one by its name. */
function providerOf(provider: AnyProvider | string): AnyProvider {
  if (typeof provider !== 'string') return provider;
  if (!Object.hasOwn(builtinProviders, provider)) {
    throw new ConfigurationError('ERR_NTW_UNKNOWN_PROVIDER', `no built-in provider is named "${provider}" (${Object.keys(builtinProviders).join(', ')}): pass a provider of yours as the provider itself`);
  }
  return builtinProviders[provider as keyof typeof builtinProviders] as unknown as AnyProvider;
}

/** An entry as `listEvents` shows it: its redacted payload, never the sealed secrets. */
function storedEvent(entry: Entry, codec: EntryCodec): StoredEvent {
  let payload: unknown;
  try {
    payload = codec.payload(entry.body);
  } catch {
    payload = undefined;
  }
  return {
    provider: entry.provider, id: entry.id, type: entry.type as StoredEvent['type'], tokenRef: entry.tokenRef,
    ...(entry.state ? { state: entry.state } : {}),
    occurredAt: entry.occurredAt, receivedAt: entry.receivedAt,
    status: entry.status, attempts: entry.attempts, ...(entry.lastError !== undefined ? { lastError: entry.lastError } : {}),
    conflicts: entry.conflicts, stale: entry.projection === 'stale', ...(entry.staleReason ? { staleReason: entry.staleReason } : {}),
    repeated: entry.projection === 'repeated',
    payload,
  };
}
