/**
 * A map of at most `max` entries that forgets the least recently used first (what lru-cache does with only `max`),
 * on a `Map` whose order of insertion is the order of use: an entry set or read is moved to the end. A few
 * `Map` operations per call, where lru-cache's bookkeeping costs several times as much on every delivery.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  /**
   * The keys, oldest first, walked by one iterator kept from eviction to eviction: a new one would start at the
   * front of the table, over every deleted entry left there until `Map` compacts it (thousands, at a large `max`).
   * Each key it passes is deleted, so the next it finds is the oldest left.
   */
  private oldest = this.map.keys();

  /** `evicted` is told of each entry forgotten for room (not of those deleted or replaced). */
  constructor(readonly max: number, private readonly evicted?: (key: K, value: V) => void) {
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a whole number, 1 or more');
  }

  get size(): number {
    return this.map.size;
  }

  /** The value of `key`, which is now the most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  /** The value of `key`, its recency unchanged. */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Set `key`, now the most recently used; past `max`, the least recently used is forgotten. */
  set(key: K, value: V): this {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) {
      let next = this.oldest.next();
      if (next.done) next = (this.oldest = this.map.keys()).next();
      const oldest = next.value as K;
      const old = this.map.get(oldest) as V;
      this.map.delete(oldest);
      this.evicted?.(oldest, old);
    }
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The values, the most recently used first (as lru-cache lists them). */
  values(): V[] {
    return [...this.map.values()].reverse();
  }

  /** The entries, the most recently used first (as lru-cache iterates them). */
  [Symbol.iterator](): Iterator<[K, V]> {
    return [...this.map].reverse()[Symbol.iterator]();
  }
}
