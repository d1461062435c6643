import { WebhookError } from '../errors';
import type { ReceiverErrorContext } from '../errors';
import type { ErrorReport } from '../ntw-error';
import { withDeadline } from './deadline';
import type { Telemetry } from '../telemetry/telemetry';
import type { StorageFailures } from './storage-failures';

/** What an error message may say of the storage: where it lives (`Storage.describe`). */
export interface Described {
  describe?(): string;
}

export interface StorageCallContext {
  readonly storage: Described;
  /** Longest wait for one storage call, in ms. */
  readonly storageTimeoutMs: number;
  readonly reportError: (...report: ErrorReport) => void;
  /** Each call is a span and a timing of `ntw.storage.duration`. */
  readonly telemetry?: Telemetry;
  /** Told of each call's failure and success, for `health()`. */
  readonly storageFailures?: StorageFailures;
}

/**
 * A storage call that failed, as `onError` receives it (and as the `cause` of the delivery's `storage_unavailable`):
 * - `ERR_NTW_STORAGE_TIMEOUT`: it did not answer within `storageTimeoutMs`;
 * - `ERR_NTW_STORAGE_UNAVAILABLE`: it failed; the adapter's (driver's) error is the `cause`.
 * `operation` names the call (`admit`, `lease`, `extend`, `settle`, ...).
 */
export class StorageError extends Error {
  readonly code: 'ERR_NTW_STORAGE_TIMEOUT' | 'ERR_NTW_STORAGE_UNAVAILABLE';
  readonly operation: string;
  constructor(code: StorageError['code'], operation: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
    this.operation = operation;
  }
}

/** A storage call that did not answer within its deadline. */
export class StorageTimeoutError extends StorageError {
  constructor(operation: string, ms: number, storage?: Described) {
    super('ERR_NTW_STORAGE_TIMEOUT', operation, `storage ${operation}${where(storage)} did not answer within ${ms} ms`);
    this.name = 'StorageTimeoutError';
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error)) || 'unknown error';

/** ` (PostgreSQL at db:5432/app)`: drivers' own messages often name no host (`Connection is closed.`). */
function where(storage: Described | undefined): string {
  try {
    const text = storage?.describe?.();
    return text ? ` (${text})` : '';
  } catch {
    return '';
  }
}

/** `error` as a `StorageError` of `operation`: itself if it is one, else `ERR_NTW_STORAGE_UNAVAILABLE` with it as the cause. */
export function storageError(operation: string, error: unknown, storage?: Described): StorageError {
  if (error instanceof StorageError) return error;
  return new StorageError('ERR_NTW_STORAGE_UNAVAILABLE', operation, `storage ${operation}${where(storage)} failed: ${describe(error)}`, { cause: error });
}

/**
 * A storage call with its deadline: its failure, or a silence past `storageTimeoutMs`, becomes a `StorageError`.
 * Not reported: for callers that report it themselves (lease renewals) or hand it to their own caller.
 * The call itself may still finish later; leases make that safe.
 */
export async function boundedStorageCall<T>(timeoutMs: number, operation: string, call: () => T | Promise<T>, storage?: Described): Promise<T> {
  try {
    const result = call();
    // An in-process store answers at once: there is nothing to wait for, so no deadline to keep.
    if (!isThenable(result)) return result;
    return await withDeadline(Promise.resolve(result), timeoutMs, () => new StorageTimeoutError(operation, timeoutMs, storage));
  } catch (error) {
    throw storageError(operation, error, storage);
  }
}

const isThenable = <T>(value: T | Promise<T>): value is Promise<T> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';

/**
 * Every storage call of the delivery core goes through here: it gets a deadline, and a failure (or a
 * silence past the deadline) is reported to `onError` once, as a `StorageError`, and becomes the retryable
 * `storage_unavailable`; `health()` counts it. The call itself may still finish later; leases make that safe.
 */
export function storageCall<T>(
  core: StorageCallContext, operation: string, context: ReceiverErrorContext, call: () => T | Promise<T>,
): Promise<T> {
  const bounded = () => boundedStorageCall(core.storageTimeoutMs, operation, call, core.storage);
  return (core.telemetry ? core.telemetry.storageCall(operation, bounded) : bounded()).then((value) => {
    core.storageFailures?.succeeded(operation, value);
    return value;
  }, (error: unknown) => {
    core.storageFailures?.failed(operation, error);
    const failure = storageError(operation, error, core.storage); // itself: boundedStorageCall made it one
    core.reportError(failure, context);
    throw new WebhookError('storage_unavailable', { cause: failure });
  });
}
