import type { TokenEvent } from './events';
import type { HandlerErrorContext, ReceiverErrorContext } from './errors';
import { ConfigurationError, ReportedError, StorageError, WebhookError } from './errors';

/**
 * The package's errors, each with a `code`: what the receiver reports to `onError` of its own (a `WebhookError`
 * only as `raw_body_unavailable`), and what its calls reject with.
 */
export type NtwError = WebhookError | ConfigurationError | ReportedError | StorageError;

/** `true` for one of the package's errors: then `error.code` says which (docs/configuration.md). */
export function isNtwError(error: unknown): error is NtwError {
  return error instanceof WebhookError || error instanceof ConfigurationError || error instanceof ReportedError || error instanceof StorageError;
}

/**
 * What the receiver hands `onError`, as its own reports are checked to be: a failure it found is one of the
 * package's errors and names no event; when an event's handlers failed, the context names that event and the
 * error is what they threw. (Handlers are typed `(error: unknown, context)`: TypeScript does not narrow one
 * parameter on another's property, and a union of tuples would refuse handlers that take only the error.)
 */
export type ErrorReport<E extends TokenEvent = TokenEvent> =
  | [error: NtwError, context: ReceiverErrorContext]
  | [error: unknown, context: HandlerErrorContext<E>];
