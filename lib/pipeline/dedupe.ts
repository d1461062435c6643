import { LRUCache } from 'lru-cache';
import { WebhookError } from '../errors';
import type { EventKey } from '../storage/storage';
import { withDeadline } from '../delivery/deadline';

export interface Accepted {
  readonly duplicate: boolean;
}

const cacheKey = (key: EventKey) => `${key.provider}\u0000${key.id}`;

/**
 * The in-process half of dedupe: a bounded cache of ids this process saw finish (answered without a
 * storage round trip), and the runs in flight, so a concurrent copy waits for the first copy's outcome
 * instead of racing it. Storage (`admit`) is the other half, across processes and restarts.
 */
export class Dedupe {
  private readonly finished: LRUCache<string, true>;
  /** Work of this process still running, by event, including work whose delivery was already answered. */
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(cacheMax: number) {
    this.finished = new LRUCache({ max: cacheMax });
  }

  /** Remember that `key` needs no further run: a later copy is a duplicate. */
  finish(key: EventKey): void {
    this.finished.set(cacheKey(key), true);
  }

  /**
   * Run `work` for `key`, unless this process knows it finished (a duplicate) or runs it now: then
   * wait for that run, at most `waitMs`. Never a success answer before the first copy's outcome is durable.
   */
  async once(key: EventKey, waitMs: number, work: () => Promise<Accepted>): Promise<Accepted> {
    const k = cacheKey(key);
    if (this.finished.has(k)) return { duplicate: true };
    const running = this.inFlight.get(k);
    if (running) {
      const succeeded = await withDeadline(running, waitMs, () => new WebhookError('in_progress'));
      if (succeeded) return { duplicate: true };
      throw new WebhookError('in_progress');
    }
    const attempt = work();
    const settled = attempt.then(() => true, () => false);
    this.inFlight.set(k, settled);
    void settled.then(() => {
      if (this.inFlight.get(k) === settled) this.inFlight.delete(k);
    });
    return attempt;
  }

  /** Resolves `true` once every run in flight settled, or `false` after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    const all = Promise.all([...this.inFlight.values()]).then(() => true);
    return withDeadline(all, timeoutMs, () => false).catch(() => false);
  }

  /** Runs of this process in flight. */
  get running(): number {
    return this.inFlight.size;
  }
}
