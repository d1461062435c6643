import { ConfigurationError, StorageError } from './errors';
import type { ErrorReport } from './ntw-error';
import { isNtwError } from './ntw-error';
import { describeError } from './shared/describe-error';
import { logger } from './log';
import type { Logger } from './log';
import type { Refusal, RefusalHandler } from './telemetry/refusal';
import { RefusalTally } from './telemetry/refusal-tally';
import type { ErrorHandler } from './types';

const log = logger('webhooks');

/** The message of a report's log record, by its code (its description is the record's `error`). */
const REPORTS: Readonly<Record<string, string>> = {
  ERR_NTW_LEASE_LOST: 'lease lost', ERR_NTW_CRASH_LOOP: 'crash loop: the event is a dead letter', ERR_NTW_CLOCK_SKEW: 'clock skew',
  ERR_NTW_QUARANTINED: 'delivery quarantined', ERR_NTW_UNEXPECTED: 'unexpected failure', ERR_NTW_CONFLICTING_DUPLICATE: 'conflicting duplicate',
  ERR_NTW_REFERENCE_KEY: 'a card number names the token, and no referenceKey is set',
};

/** The host's own hooks must not turn an answer into a crash, whatever they throw or reject with. */
function callSafely<A extends unknown[]>(hooks: ReadonlyArray<(...args: A) => unknown>, ...args: A): void {
  for (const hook of hooks) {
    try {
      void Promise.resolve(hook(...args)).catch(() => undefined);
    } catch {
      // ignored: see above
    }
  }
}

function checkHandler(method: string, handler: unknown): void {
  if (typeof handler !== 'function') throw new ConfigurationError('ERR_NTW_HANDLER', `${method}() needs a function, not ${handler === null ? 'null' : typeof handler}`);
}

/** The host's `onError` and `onRefused` handlers, and what the receiver tells them. */
export class HostHooks {
  private readonly errorHandlers: ErrorHandler[] = [];
  private readonly refusalHandlers: RefusalHandler[] = [];
  /** What the console shows of refused deliveries, which never reach storage: this process's, since `since`. */
  readonly refusals: RefusalTally;

  constructor(since: Date, private readonly logTo?: Logger) {
    this.refusals = new RefusalTally(since);
  }

  onError(handler: ErrorHandler): void {
    checkHandler('onError', handler);
    this.errorHandlers.push(handler);
  }

  onRefused(handler: RefusalHandler): void {
    checkHandler('onRefused', handler);
    this.refusalHandlers.push(handler);
  }

  /** A failure for `onError`, logged too (as an error: each one is something to look at). */
  readonly reportError = (...[error, context]: ErrorReport): void => {
    log.error({
      provider: context.provider, eventId: context.eventId, code: isNtwError(error) ? error.code : 'handler_failed',
      ...(error instanceof StorageError ? { operation: error.operation } : {}), error: describeError(error),
    }, context.event ? 'handlers failed' : error instanceof StorageError ? 'storage call failed' : (isNtwError(error) && REPORTS[error.code]) || 'reported to onError', this.logTo);
    callSafely(this.errorHandlers, error, context);
  };

  /** A delivery refused for good: counted for the console, and handed to `onRefused`. */
  readonly refused = (refusal: Refusal): void => {
    this.refusals.record(refusal);
    callSafely(this.refusalHandlers, refusal);
  };
}
