import { WebhookError } from '../errors';
import type { ErrorContext } from '../errors';
import { withDeadline } from './deadline';

export interface StorageCallContext {
  /** Longest wait for one storage call, in ms. */
  readonly storageTimeoutMs: number;
  readonly reportError: (error: unknown, context: ErrorContext) => void;
}

/** A storage call that did not answer within its deadline. */
export class StorageTimeoutError extends Error {
  readonly code = 'ERR_NTW_STORAGE_TIMEOUT';
  constructor(operation: string, ms: number) {
    super(`storage ${operation} did not answer within ${ms} ms`);
    this.name = 'StorageTimeoutError';
  }
}

/**
 * Every storage call of the delivery core goes through here: it gets a deadline, and a failure (or a
 * silence past the deadline) is reported to `onError` once and becomes the retryable `storage_unavailable`.
 * The call itself may still finish later; leases make that safe.
 */
export async function storageCall<T>(
  core: StorageCallContext, operation: string, context: ErrorContext, call: () => T | Promise<T>,
): Promise<T> {
  try {
    return await withDeadline(Promise.resolve().then(call), core.storageTimeoutMs,
      () => new StorageTimeoutError(operation, core.storageTimeoutMs));
  } catch (error) {
    core.reportError(error, context);
    throw new WebhookError('storage_unavailable', { cause: error });
  }
}
