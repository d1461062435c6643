import type { Storage } from '../storage/storage';
import type { ObservedCounts } from './telemetry';

/**
 * The counts the gauges report (inbox depth, dead letters, tokens by state), read from the storage at each
 * metrics collection: only from an adapter that can count (`Storage.stats`), never by listing entries.
 */
export function storageCounts(storage: Storage): (() => Promise<ObservedCounts | undefined>) | undefined {
  const counting = storage as Storage & { stats?: () => Promise<ObservedCounts> | ObservedCounts };
  if (typeof counting.stats !== 'function') return undefined;
  return async () => counting.stats!();
}
