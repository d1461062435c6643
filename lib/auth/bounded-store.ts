import { LRUCache } from 'lru-cache';
import type { ThrottleCount, ThrottleStore } from './throttle-store';

/**
 * An in-process throttle store that keeps at most `max` counts, each for one window from its first hit:
 * past `max`, the count used least recently is forgotten.
 */
export class BoundedStore implements ThrottleStore {
  readonly localKeys = true;
  private readonly counts: LRUCache<string, number>;
  private nextPurge: number;

  constructor(max: number, private readonly windowMs: number, private readonly now: () => number = Date.now) {
    // `maxSize` of 1 per count rather than `max`, which would reserve lru-cache's arrays for `max` counts up front
    this.counts = new LRUCache({ maxSize: max, sizeCalculation: () => 1, ttl: windowMs, noUpdateTTL: true, ttlResolution: 0, perf: { now } });
    this.nextPurge = now() + windowMs;
  }

  /** Counts kept now, expired ones not yet dropped included. */
  get size(): number {
    return this.counts.size;
  }

  get(key: string): ThrottleCount | undefined {
    const hits = this.counts.get(key);
    return hits === undefined ? undefined : { totalHits: hits, resetTime: this.resetTime(key) };
  }

  increment(key: string): ThrottleCount {
    const now = this.now();
    if (now >= this.nextPurge) { // what an attack left behind goes within two windows, without a timer
      this.counts.purgeStale();
      this.nextPurge = now + this.windowMs;
    }
    const hits = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, hits);
    return { totalHits: hits, resetTime: this.resetTime(key) };
  }

  decrement(key: string): void {
    const hits = this.counts.get(key);
    if (hits !== undefined && hits > 0) this.counts.set(key, hits - 1);
  }

  resetKey(key: string): void {
    this.counts.delete(key);
  }

  resetAll(): void {
    this.counts.clear();
  }

  private resetTime(key: string): Date {
    return new Date(this.now() + this.counts.getRemainingTTL(key));
  }
}
