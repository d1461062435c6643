import { StorageError } from '../errors';

/** What an error message may say of the storage: where it lives (`Storage.describe`). */
export interface Described {
  describe?(): string;
}

/** A storage call that did not answer within its deadline. */
export class StorageTimeoutError extends StorageError {
  constructor(operation: string, ms: number, storage?: Described) {
    super('ERR_NTW_STORAGE_TIMEOUT', operation, `storage ${operation}${where(storage)} did not answer within ${ms} ms`);
    this.name = 'StorageTimeoutError';
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)) || 'unknown error';

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
  return new StorageError('ERR_NTW_STORAGE_UNAVAILABLE', operation, `storage ${operation}${where(storage)} failed: ${messageOf(error)}`, { cause: error });
}
