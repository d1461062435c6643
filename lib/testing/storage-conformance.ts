/**
 * `network-token-webhooks/testing/storage`: the storage conformance suite under mocha, by its first name.
 * `network-token-webhooks/storage-kit` has the same suite for any test runner, each capability's group on its own.
 *
 * @module network-token-webhooks/testing/storage
 */
import type { Storage } from '../storage/storage';
import { loadDriver } from '../storage/driver';
import { runStorageConformance as runConformance } from '../storage/kit/conformance';
import type { ConformanceOptions } from '../storage/kit/conformance';

export type { ConformanceOptions } from '../storage/kit/conformance';

/**
 * Register the storage contract as mocha tests: `runStorageConformance` of `network-token-webhooks/storage-kit` with
 * mocha's `describe`, `it`, `before` and `after`. Needs `mocha` (an optional peer dependency): without it, the call
 * throws `ERR_NTW_DRIVER_MISSING`.
 *
 * ```ts
 * import { runStorageConformance } from 'network-token-webhooks/testing/storage';
 * runStorageConformance('MyStorage', () => new MyStorage(...), { persistent: true });
 * ```
 *
 * @deprecated The first name of the suite: use `runStorageConformance` from `network-token-webhooks/storage-kit`,
 * passing your runner's test functions (`{ describe, it, before, after }`).
 */
export function runStorageConformance(name: string, factory: () => Storage | Promise<Storage>, options: ConformanceOptions = {}): void {
  // Loaded here rather than imported, so that importing this module asks for no test framework.
  runConformance(name, factory, loadDriver<typeof import('mocha')>('mocha', 'runStorageConformance'), options);
}
