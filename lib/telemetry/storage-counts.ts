import type { Storage } from '../storage/storage';
import { boundedStorageCall } from '../delivery/storage-call';
import type { ObservedCounts } from './telemetry';

/**
 * The counts the gauges report (inbox depth, dead letters, tokens by state), read from the storage at each
 * metrics collection, one bounded call: only from an adapter that counts (`Storage.stats`), never by listing.
 */
export function storageCounts(storage: Storage, timeoutMs: number, ready: () => Promise<void>): (() => Promise<ObservedCounts>) | undefined {
  if (typeof storage.stats !== 'function') return undefined;
  return () => boundedStorageCall(timeoutMs, 'stats', async () => {
    await ready();
    const now = new Date();
    return storage.stats!({ since: now, until: now });
  }, storage);
}
