import type { TokenEvent } from './events';
import { ConfigurationError } from './errors';
import { resolveOptions } from './options';
import type { Provider, ProviderOptions } from './providers/provider';
import { builtinProviders } from './providers/builtin';
import { HostHooks } from './host-hooks';
import type { HandlerKind } from './ledger/handlers';
import { closeLedger, createLedger, startLedger } from './ledger/create-ledger';
import { listEvents, readCounts, tokenState } from './ledger/reads';
import type { DeliveryCore } from './pipeline/core';
import { resolveEndpoint } from './pipeline/endpoint';
import type { Endpoint } from './pipeline/endpoint';
import { replay } from './pipeline/replay';
import { replayMany } from './ledger/replay-many';
import { attachLogger } from './log';
import { cardReferences } from './pipeline/card-reference';
import { noHandlers } from './pipeline/deliver';
import { receive } from './pipeline/receive';
import { lowerCased } from './pipeline/request';
import { Telemetry } from './telemetry/telemetry';
import { nodeMiddleware } from './transport/node/middleware';
import { mountersOf } from './transport/node/mounters';
import { checkMounts } from './transport/node/ready';
import { fetchHandler } from './transport/fetch';
import type { FetchHandler } from './transport/fetch';
import { checkHealth } from './health';
import { createConsole } from './console/console';
import type { ConsoleMiddleware } from './console/console';
import type {
  BuiltinTokenEvent, ErrorHandler, EventHandler, EventQuery, InboxTokenWebhooks, Receiver, TokenWebhooks, TokenWebhooksOptions,
} from './types';

/**
 * One receiver for every provider: handlers, the ledger, and the endpoints to mount. Wiring only: options are
 * checked in `options.ts`, a delivery runs in `pipeline/deliver.ts`, and everything that reaches storage in
 * `ledger/` (through its one client, `ledger/client.ts`).
 */
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options: TokenWebhooksOptions & { readonly mode: 'inbox' }): InboxTokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options?: TokenWebhooksOptions & { readonly mode?: 'sync' }): TokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options?: TokenWebhooksOptions): TokenWebhooks<E> | InboxTokenWebhooks<E>;
export function createTokenWebhooks<E extends TokenEvent = BuiltinTokenEvent>(options: TokenWebhooksOptions = {}): TokenWebhooks<E> | InboxTokenWebhooks<E> {
  const settings = resolveOptions(options);
  const { storage } = settings;
  const hooks = new HostHooks(settings.now(), settings.logger);
  // The storage adapter logs what it does (opening, migrating, a dropped connection) to the same logger.
  attachLogger(storage, settings.logger);
  // The gauges read the storage's counts through the ledger's client, made just below (they are read at a metrics collection).
  const telemetry = new Telemetry(settings.telemetry, storage.stats ? () => readCounts(ledger.client) : undefined);
  const ledger = createLedger(settings, { telemetry, reportError: hooks.reportError });
  const { client, handlers } = ledger;
  const now = () => client.clock.now();
  let closing = false;
  const core: DeliveryCore = {
    ledger, now, telemetry,
    reportError: hooks.reportError,
    refused: (refusal) => {
      hooks.refused(refusal);
      ledger.refusals.record(refusal);
    },
    deadlineMs: settings.deadlineMs,
    clockSkewMs: settings.clockSkewMs,
    cardReference: cardReferences(settings.referenceKey),
    closing: () => closing,
    logger: settings.logger,
  };

  const on = (kind: HandlerKind) => (handler: EventHandler<never>) => {
    handlers.add(kind, handler);
    return webhooks;
  };

  /** The endpoints mounted, by provider (the latest of each): a quarantined delivery is replayed through its provider's. */
  const endpoints = new Map<string, Endpoint>();
  const mount = <Name extends string, Raw, O extends ProviderOptions>(provider: Provider<Name, Raw, O>, providerOptions?: O): Endpoint => {
    const resolved = resolveEndpoint(provider, providerOptions ?? ({} as O), settings.logger);
    endpoints.set(provider.name, resolved);
    startLedger(ledger);
    telemetry.start();
    return resolved;
  };

  const endpoint = (provider: AnyProvider | string, providerOptions?: ProviderOptions) =>
    nodeMiddleware(mount(providerOf(provider), providerOptions), core);

  const receiver = (provider: AnyProvider | string, providerOptions?: ProviderOptions): Receiver => {
    const resolved = mount(providerOf(provider), providerOptions);
    return (input) => {
      const headers = lowerCased(input.headers);
      return receive(resolved, core, headers === input.headers ? input : { ...input, headers });
    };
  };

  const fetchEndpoint = (provider: AnyProvider | string, providerOptions?: ProviderOptions): FetchHandler =>
    fetchHandler(mount(providerOf(provider), providerOptions), core);

  const mounters = mountersOf(endpoint);

  const { inbox } = ledger;
  const inboxOnly = inbox && {
    listDeadLetters: (query: Omit<EventQuery, 'status'> = {}) => listEvents(client, ledger.codec, { ...query, status: 'dead' }),
    processInbox: () => inbox.runDue(),
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
      hooks.onError(handler as ErrorHandler); // called with events of the receiver's, typed E by the app
      return webhooks;
    },
    onRefused(handler) {
      hooks.onRefused(handler);
      return webhooks;
    },
    endpoint: endpoint as TokenWebhooks<E>['endpoint'],
    receiver: receiver as TokenWebhooks<E>['receiver'],
    fetchHandler: fetchEndpoint as TokenWebhooks<E>['fetchHandler'],
    getTokenState: (provider, tokenRef) => tokenState(client, provider, tokenRef),
    listEvents: (query) => listEvents(client, ledger.codec, query),
    console(consoleOptions) {
      const made = createConsole({
        storage, mode: settings.mode, now,
        replay: (eventId, provider) => webhooks.replay(eventId, provider),
        replayMany: (query) => webhooks.replayMany(query),
        logger: settings.logger,
        replayTimeoutMs: settings.storageTimeoutMs + settings.deadlineMs,
        providers: () => [...new Set([...endpoints.keys(), ...Object.keys(builtinProviders)])],
        refusals: () => hooks.refusals.snapshot(),
        fleetRefusals: (since) => ledger.refusals.list(since),
        storedPayload: (body) => ledger.codec.payload(body),
        call: (operation, call) => client.call(operation, call),
      }, consoleOptions);
      consoles.add(made);
      return made;
    },
    replay: (eventId, provider) => replay(core, endpoints, eventId, provider),
    replayMany: async (query) => ({ replayed: await replayMany(ledger, query, () => closing) }),
    prune: () => ledger.retention.prune(),
    async ready(readyOptions = {}) {
      if (readyOptions.app !== undefined) {
        await checkMounts(readyOptions.app, settings.logger);
        if (handlers.size === 0) throw noHandlers();
      }
      await client.initialize();
      startLedger(ledger);
    },
    health: () => checkHealth(ledger, { handlers: handlers.size, closing, slots: settings.inbox.concurrency }),
    async close() {
      closing = true;
      for (const made of consoles) made.close();
      await closeLedger(ledger, settings.shutdownTimeoutMs);
    },
    mode: settings.mode,
    storage,
    ...inboxOnly,
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
