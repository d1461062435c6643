import type { ConformanceOptions, GroupSpec, StorageFactory, TestFunctions } from './harness';
import { registerGroups } from './harness';
import { ADMIT } from './admit';
import { LEASE } from './lease';
import { EXTEND } from './extend';
import { SETTLE } from './settle';
import { TOKEN_STATE } from './token-state';
import { REQUEUE } from './requeue';
import { LISTING } from './listing';
import { STATS } from './stats';
import { RETENTION } from './retention';
import { IDS } from './ids';
import { PROBE } from './probe';
import { PERSISTENCE } from './persistence';
import { SEARCH } from './search';
import { HISTORY } from './history';
import { REFUSALS } from './refusals';

export type { ConformanceGroup, ConformanceOptions, StorageFactory, TestFunctions } from './harness';
export { admitConformance } from './admit';
export { leaseConformance } from './lease';
export { extendConformance } from './extend';
export { settleConformance } from './settle';
export { tokenStateConformance } from './token-state';
export { requeueConformance } from './requeue';
export { listingConformance } from './listing';
export { statsConformance } from './stats';
export { retentionConformance } from './retention';
export { idsConformance } from './ids';
export { probeConformance } from './probe';
export { persistenceConformance } from './persistence';
export { searchConformance } from './search';
export { historyConformance } from './history';
export { refusalsConformance } from './refusals';

/** Every group but persistence, in the order they run. */
const GROUPS: readonly GroupSpec[] = [ADMIT, LEASE, EXTEND, SETTLE, TOKEN_STATE, REQUEUE, LISTING, SEARCH, STATS, HISTORY, REFUSALS, RETENTION, IDS, PROBE];

/**
 * Register the storage contract as tests of your runner: every adapter, yours included, runs the same suite. Each
 * capability's group runs in a `describe` of its own, all on one store that `factory` makes (and `before`/`after`
 * open and close), with persistence checked too when `options.persistent`. Each test writes under its own random
 * provider name, so a shared database is fine. A group runs on its own as `admitConformance(name, factory, tests)`, …
 *
 * ```ts
 * import { describe, it, before, after } from 'node:test';
 * import { runStorageConformance } from 'network-token-webhooks/storage-kit';
 * runStorageConformance('MyStorage', () => new MyStorage(options), { describe, it, before, after }, { persistent: true });
 * ```
 */
export function runStorageConformance(name: string, factory: StorageFactory, tests: TestFunctions, options: ConformanceOptions = {}): void {
  registerGroups(name, factory, tests, options, options.persistent ? [...GROUPS, PERSISTENCE] : GROUPS);
}
