import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TokenEvent } from '../events';
import { WebhookError } from '../errors';
import type { EventKey, Storage, StoredEvent } from '../storage/storage';
import type { InboxStorage } from '../storage/inbox';
import type { HandlerRegistry } from './dispatch';
import type { InboxCodec } from './inbox-codec';
import { withDeadline } from './deadline';
import { startLeaseHeartbeat } from './lease-heartbeat';
import type { RenewalSchedule } from './lease-heartbeat';
import { logger } from '../log';

const log = logger('process');

/** A normalized event before the projection has said whether it is stale. */
export type UnprojectedEvent = Omit<TokenEvent, 'stale' | 'staleReason'>;

export interface ErrorContext {
  readonly provider: string;
  readonly eventId?: string;
  readonly event?: TokenEvent;
}

export interface ProcessorOptions {
  readonly storage: Storage;
  readonly handlers: HandlerRegistry;
  /** How long a claim holds before another delivery may take the event over; renewed every third of it while the work runs. */
  readonly leaseMs: number;
  /** Timer of the lease renewals (tests). Default: an unref'd `setInterval`. */
  readonly renewalSchedule?: RenewalSchedule;
  /** How long a delivery may take before it is answered retry-later (`timeout`); the work goes on. */
  readonly deadlineMs: number;
  /** Entries in the in-memory cache of processed ids. */
  readonly cacheMax: number;
  /** Resolves once storage is initialized. */
  readonly ready: () => Promise<void>;
  readonly reportError: (error: unknown, context: ErrorContext) => void;
  /** `mode: 'inbox'`: store the event and acknowledge; a worker runs the handlers. */
  readonly inbox?: {
    readonly storage: InboxStorage;
    readonly codec: InboxCodec;
    readonly now: () => Date;
    /** Called after an event was enqueued, so the local worker picks it up at once. */
    readonly enqueued: () => void;
  };
}

export interface ProcessResult {
  readonly duplicate: boolean;
}

const cacheKey = (key: EventKey) => `${key.provider}\u0000${key.id}`;

function toStored(event: TokenEvent, payload: unknown): StoredEvent {
  return {
    provider: event.provider, id: event.id, type: event.type, tokenRef: event.tokenRef,
    ...(event.state ? { state: event.state } : {}),
    occurredAt: event.occurredAt, receivedAt: event.receivedAt,
    stale: event.stale, ...(event.staleReason ? { staleReason: event.staleReason } : {}),
    payload,
  };
}

/**
 * Dedupe, persist, project and dispatch one event: claim → state projection → event log →
 * handlers → complete. Any failure releases the claim so the provider's retry runs it again.
 *
 * Delivery guarantees (docs/delivery.md):
 * - a success answer is given only once `complete` (or, in inbox mode, `enqueue`) has resolved;
 * - a concurrent duplicate in this process waits for the first copy's outcome, up to the deadline;
 *   one in another process finds the claim taken and is answered `in_progress` (retryable);
 * - past the deadline the delivery is answered `timeout` (retryable) while the work goes on,
 *   and its late outcome still completes or releases the claim.
 */
export class EventProcessor {
  private readonly processed: LRUCache<string, true>;
  /** Work of this process still running, by event, including work whose delivery was already answered. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly instance = randomUUID();
  private sequence = 0;
  private closing = false;

  constructor(private readonly options: ProcessorOptions) {
    this.processed = new LRUCache({ max: options.cacheMax });
  }

  async process(event: UnprojectedEvent, storedPayload: unknown): Promise<ProcessResult> {
    if (this.closing) throw new WebhookError('shutting_down');
    const key: EventKey = { provider: event.provider, id: event.id };
    const k = cacheKey(key);
    if (this.processed.has(k)) return { duplicate: true };
    const running = this.inFlight.get(k);
    if (running) {
      // Never a success before the first copy's outcome is durable: wait for it, bounded.
      const succeeded = await withDeadline(running, this.options.deadlineMs, () => new WebhookError('in_progress'));
      if (succeeded) return { duplicate: true };
      throw new WebhookError('in_progress');
    }
    const attempt = this.options.inbox ? this.enqueue(key, event, storedPayload) : this.claimAndRun(key, event, storedPayload);
    const settled = attempt.then(() => true, () => false);
    this.inFlight.set(k, settled);
    void settled.then((ok) => {
      if (this.inFlight.get(k) === settled) this.inFlight.delete(k);
      log('%s %s settled: %s', key.provider, key.id, ok ? 'ok' : 'failed');
    });
    return withDeadline(attempt, this.options.deadlineMs, () => {
      log('%s %s passed the %dms deadline; answering retry-later', key.provider, key.id, this.options.deadlineMs);
      return new WebhookError('timeout');
    });
  }

  /** Refuse new work (`shutting_down`) and wait for the running work, up to `timeoutMs`. Resolves `true` when all settled. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.closing = true;
    const all = Promise.all([...this.inFlight.values()]).then(() => true);
    return withDeadline(all, timeoutMs, () => false).catch(() => false);
  }

  /** Number of events this process is still working on. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Projection → event log → handlers: what runs once an event is ours (claimed, or leased from the inbox). */
  async dispatch(incoming: UnprojectedEvent, storedPayload: unknown, onStorageFailure?: () => Promise<void>): Promise<void> {
    const context = { provider: incoming.provider, eventId: incoming.id };
    const event = await this.storageStep(context, async () => {
      const projected = await this.project(incoming);
      await this.options.storage.saveEvent(toStored(projected, storedPayload));
      return projected;
    }, onStorageFailure);
    try {
      await this.options.handlers.run(event);
    } catch (error) {
      this.options.reportError(error, { ...context, event });
      throw new WebhookError('handler_failed', { cause: error });
    }
  }

  private async enqueue(key: EventKey, event: UnprojectedEvent, storedPayload: unknown): Promise<ProcessResult> {
    const inbox = this.options.inbox!;
    const inserted = await this.storageStep({ provider: key.provider, eventId: key.id }, async () => {
      await this.options.ready();
      return inbox.storage.enqueue({ ...key, body: inbox.codec.encode(event, storedPayload), enqueuedAt: inbox.now() });
    });
    log('%s %s enqueued: %s', key.provider, key.id, inserted ? 'new' : 'duplicate');
    this.processed.set(cacheKey(key), true);
    if (inserted) inbox.enqueued();
    return { duplicate: !inserted };
  }

  private async claimAndRun(key: EventKey, incoming: UnprojectedEvent, storedPayload: unknown): Promise<ProcessResult> {
    const { storage } = this.options;
    const owner = `${this.instance}:${++this.sequence}`;
    const context = { provider: key.provider, eventId: key.id };
    const claim = await this.storageStep(context, async () => {
      await this.options.ready();
      return storage.claim(key, owner, this.options.leaseMs);
    });
    log('%s %s claim: %s', key.provider, key.id, claim);
    if (claim === 'processed') {
      this.processed.set(cacheKey(key), true);
      return { duplicate: true };
    }
    if (claim === 'in_progress') throw new WebhookError('in_progress');

    // Renew the claim while the work runs, so a slow handler does not let a retry run the event again.
    const stopRenewal = this.renewClaim(key, owner);
    const release = () => {
      stopRenewal();
      return this.release(key, owner);
    };
    try {
      await this.dispatch(incoming, storedPayload, release);
    } catch (error) {
      if (error instanceof WebhookError && error.code === 'handler_failed') await release();
      throw error;
    } finally {
      stopRenewal();
    }
    // The success answer waits for this: nothing is acknowledged before it is durable.
    await this.storageStep(context, () => storage.complete(key, owner), release);
    this.processed.set(cacheKey(key), true);
    return { duplicate: false };
  }

  /** Start renewing `owner`'s claim (when the storage can); returns `stop`. */
  private renewClaim(key: EventKey, owner: string): () => void {
    const { storage, leaseMs, renewalSchedule } = this.options;
    if (typeof storage.extend !== 'function') return () => undefined;
    return startLeaseHeartbeat({
      leaseMs, label: `claim ${key.provider} ${key.id}`,
      renew: () => storage.extend!(key, owner, leaseMs),
      lost: (error) => this.options.reportError(error, { provider: key.provider, eventId: key.id }),
      ...(renewalSchedule ? { schedule: renewalSchedule } : {}),
    });
  }

  private async project(incoming: UnprojectedEvent): Promise<TokenEvent> {
    if (!incoming.state) return Object.freeze({ ...incoming, stale: false }) as TokenEvent;
    const result = await this.options.storage.applyTokenState({
      provider: incoming.provider, tokenRef: incoming.tokenRef, state: incoming.state,
      occurredAt: incoming.occurredAt, eventId: incoming.id,
    });
    return Object.freeze({
      ...incoming,
      stale: !result.applied,
      ...(result.staleReason ? { staleReason: result.staleReason } : {}),
    }) as TokenEvent;
  }

  /** Run a storage call; a failure is reported and answered as retryable `storage_unavailable`. */
  private async storageStep<T>(context: ErrorContext, step: () => T | Promise<T>, onFailure?: () => Promise<void>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (onFailure) await onFailure();
      this.options.reportError(error, context);
      throw new WebhookError('storage_unavailable', { cause: error });
    }
  }

  private async release(key: EventKey, owner: string): Promise<void> {
    try {
      await this.options.storage.release(key, owner);
    } catch (error) {
      // The lease expires by itself; the provider's retry can claim the event then.
      this.options.reportError(error, { provider: key.provider, eventId: key.id });
    }
  }
}
