import { MemoryStore } from 'express-rate-limit';
import type { Options, Store } from 'express-rate-limit';
import { ConfigurationError } from '../errors';

/**
 * Limits on failed client authentications at a token endpoint. Counts live in an express-rate-limit store:
 * its in-process `MemoryStore` by default, or any store of that ecosystem (Redis, Memcached, …) to share them
 * across instances.
 */
export interface ThrottleOptions {
  /** How long failures are counted, in ms. Default 900000 (15 minutes). */
  readonly windowMs?: number;
  /** Failed attempts allowed per client id within the window. Default 10. */
  readonly perClient?: number;
  /** Failed attempts allowed per source address within the window. Default 50. */
  readonly perAddress?: number;
  /** An express-rate-limit store. Default: a new `MemoryStore`. */
  readonly store?: Store;
}

function count(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ConfigurationError('ERR_NTW_OAUTH', `throttle.${name} must be a positive integer`);
  return value;
}

/** Failed attempts, counted per client id and per source address; a key over its limit waits until its window ends. */
export class FailureThrottle {
  private readonly store: Store;
  private readonly perClient: number;
  private readonly perAddress: number;
  private readonly windowMs: number;

  constructor(options: ThrottleOptions = {}) {
    this.windowMs = count('windowMs', options.windowMs, 15 * 60_000);
    this.perClient = count('perClient', options.perClient, 10);
    this.perAddress = count('perAddress', options.perAddress, 50);
    this.store = options.store ?? new MemoryStore();
    void Promise.resolve(this.store.init?.({ windowMs: this.windowMs } as Options)).catch(() => undefined);
  }

  /** Seconds until `address` or `clientId` may try again, or `undefined` when neither is over its limit. */
  async retryAfter(address: string | undefined, clientId: string | undefined): Promise<number | undefined> {
    const checks: [string, number][] = [];
    if (address) checks.push([`address:${address}`, this.perAddress]);
    if (clientId) checks.push([`client:${clientId}`, this.perClient]);
    let wait: number | undefined;
    for (const [key, limit] of checks) {
      const info = await this.store.get?.(key);
      if (!info || info.totalHits < limit) continue;
      const seconds = Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? Date.now() + this.windowMs) - Date.now()) / 1000));
      wait = Math.max(wait ?? 0, seconds);
    }
    return wait;
  }

  async failed(address: string | undefined, clientId: string | undefined): Promise<void> {
    if (address) await this.store.increment(`address:${address}`);
    if (clientId) await this.store.increment(`client:${clientId}`);
  }

  async succeeded(clientId: string): Promise<void> {
    await this.store.resetKey(`client:${clientId}`);
  }

  shutdown(): void {
    void Promise.resolve(this.store.shutdown?.()).catch(() => undefined);
  }
}
