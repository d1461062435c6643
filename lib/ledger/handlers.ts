import type { TokenEvent } from '../events';
import { ConfigurationError } from '../errors';

/** What a handler gets besides the event (a second argument it may ignore). */
export interface HandlerContext {
  /**
   * Aborted when this run should stop, with a `ReportedError` as its `reason`: `ERR_NTW_LEASE_LOST` when the run's
   * lease was lost (another instance may run the event now), `ERR_NTW_HANDLER_TIMEOUT` when the handlers passed
   * `handlerTimeoutMs` (the run already counts as failed and will be retried). Hand it to what you await
   * (`fetch(url, { signal })`) so that abandoned work stops.
   */
  readonly signal: AbortSignal;
  /** Which run of this event this is, from 1 (a run a crash interrupted counts; `replay()` starts again at 1). */
  readonly attempt: number;
}

export type HandlerKind = 'active' | 'suspended' | 'deleted' | 'updated' | 'event';
export type Handler<E> = (event: E, context: HandlerContext) => unknown;

const KIND_OF_TYPE: Partial<Record<TokenEvent['type'], HandlerKind>> = {
  'token.active': 'active',
  'token.suspended': 'suspended',
  'token.deleted': 'deleted',
};

/**
 * The handlers an event fires: its state handler when it changed the token's state (not stale, not a repeat),
 * `onUpdated` when it carries changes and is not stale, and always `onEvent`.
 */
export function kindsFor(event: TokenEvent): HandlerKind[] {
  const kinds: HandlerKind[] = [];
  const stateKind = KIND_OF_TYPE[event.type];
  if (!event.stale && !event.repeated && stateKind) kinds.push(stateKind);
  if (!event.stale && event.changes.length > 0) kinds.push('updated');
  kinds.push('event');
  return kinds;
}

/** Registered handlers, run together per event; their failures are gathered. */
export class HandlerRegistry {
  private readonly handlers = new Map<HandlerKind, Handler<never>[]>();
  private count = 0;

  add(kind: HandlerKind, handler: Handler<never>): void {
    if (typeof handler !== 'function') {
      throw new ConfigurationError('ERR_NTW_HANDLER', `on${kind[0]!.toUpperCase()}${kind.slice(1)}() needs a function, not ${handler === null ? 'null' : typeof handler}`);
    }
    this.handlers.set(kind, [...(this.handlers.get(kind) ?? []), handler]);
    this.count++;
  }

  /** How many handlers are registered, of every kind. */
  get size(): number {
    return this.count;
  }

  /** Resolves when every handler settled; rejects with the one error, or an `AggregateError` of several. */
  async run(event: TokenEvent, context: HandlerContext): Promise<void> {
    const selected = kindsFor(event).flatMap((kind) => this.handlers.get(kind) ?? []) as Handler<TokenEvent>[];
    if (selected.length === 1) {
      await selected[0]!(event, context);
      return;
    }
    const results = await Promise.allSettled(selected.map(async (handler) => handler(event, context)));
    const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} handlers failed`);
  }
}
