import type { TokenEvent } from '../events';
import { ConfigurationError } from '../errors';
import { isThenable } from '../shared/thenable';

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

  /**
   * Run the handlers `event` fires, together. `undefined` when every one returned at once and none threw: nothing to
   * wait for. When every one returned at once and some threw, throws the one error, or an `AggregateError` of several.
   * Otherwise a promise, settled once every handler settled, rejecting as the throw would.
   */
  run(event: TokenEvent, context: HandlerContext): Promise<void> | undefined {
    const kinds = kindsFor(event);
    let count = 0;
    let only: Handler<TokenEvent> | undefined;
    for (const kind of kinds) {
      const list = this.handlers.get(kind) as Handler<TokenEvent>[] | undefined;
      if (!list) continue;
      count += list.length;
      only = list[0];
    }
    if (count === 1) {
      // Most events fire one handler: no list of results to gather.
      const result = only!(event, context);
      return isThenable(result) ? Promise.resolve(result).then(NOTHING) : undefined;
    }
    const results: unknown[] = [];
    let waiting = false;
    for (const kind of kinds) {
      for (const handler of (this.handlers.get(kind) ?? []) as Handler<TokenEvent>[]) {
        try {
          const result = handler(event, context);
          waiting ||= isThenable(result);
          results.push(result);
        } catch (error) {
          results.push(new Threw(error));
        }
      }
    }
    if (!waiting) return failIf(results.flatMap((r) => (r instanceof Threw ? [r.error] : [])));
    return Promise.allSettled(results.map((r) => (r instanceof Threw ? Promise.reject(r.error) : r)))
      .then((settled) => failIf(settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))));
  }
}

const NOTHING = (): undefined => undefined;

/** A handler's synchronous throw, kept in its place among the others' results. */
class Threw {
  constructor(readonly error: unknown) {}
}

/** Throws the one error, or an `AggregateError` of several; nothing when there are none. */
function failIf(errors: readonly unknown[]): undefined {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} handlers failed`);
  return undefined;
}
