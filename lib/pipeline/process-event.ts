import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TokenEvent } from '../events';
import { WebhookError } from '../errors';
import type { EventKey, Storage, StoredEvent } from '../storage/storage';
import type { HandlerRegistry } from './dispatch';
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
  /** How long a claim holds before another delivery may take the event over. */
  readonly leaseMs: number;
  /** Entries in the in-memory cache of processed ids. */
  readonly cacheMax: number;
  /** Resolves once storage is initialized. */
  readonly ready: () => Promise<void>;
  readonly reportError: (error: unknown, context: ErrorContext) => void;
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
 */
export class EventProcessor {
  private readonly processed: LRUCache<string, true>;
  /** Deliveries of this process still running, by event: a concurrent duplicate waits for the outcome. */
  private readonly inFlight = new Map<string, Promise<boolean>>();
  private readonly instance = randomUUID();
  private sequence = 0;

  constructor(private readonly options: ProcessorOptions) {
    this.processed = new LRUCache({ max: options.cacheMax });
  }

  async process(event: UnprojectedEvent, storedPayload: unknown): Promise<ProcessResult> {
    const key: EventKey = { provider: event.provider, id: event.id };
    const k = cacheKey(key);
    if (this.processed.has(k)) return { duplicate: true };
    const running = this.inFlight.get(k);
    if (running) {
      if (await running) return { duplicate: true };
      throw new WebhookError('in_progress');
    }
    const attempt = this.claimAndRun(key, event, storedPayload);
    this.inFlight.set(k, attempt.then(() => true, () => false));
    try {
      return await attempt;
    } finally {
      this.inFlight.delete(k);
    }
  }

  private async claimAndRun(key: EventKey, incoming: UnprojectedEvent, storedPayload: unknown): Promise<ProcessResult> {
    const { storage, handlers } = this.options;
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

    const event = await this.storageStep(context, async () => {
      const projected = await this.project(incoming);
      await storage.saveEvent(toStored(projected, storedPayload));
      return projected;
    }, () => this.release(key, owner));

    try {
      await handlers.run(event);
    } catch (error) {
      await this.release(key, owner);
      this.options.reportError(error, { ...context, event });
      throw new WebhookError('handler_failed', { cause: error });
    }

    await this.storageStep(context, () => storage.complete(key, owner));
    this.processed.set(cacheKey(key), true);
    return { duplicate: false };
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
