import { WebhookError } from '../errors';
import type { EventKey } from '../storage/storage';
import { withDeadline } from '../shared/deadline';
import { isThenable } from '../shared/thenable';
import { LruMap } from '../shared/lru-map';

export interface Accepted {
  readonly duplicate: boolean;
}

const cacheKey = (key: EventKey) => `${key.provider}\u0000${key.id}`;

/**
 * The in-process half of dedupe: a bounded cache of ids this process saw finish, with their fingerprints
 * (a copy with the same meaning is answered without a storage round trip; one with another meaning goes to
 * storage, which counts and reports the conflict), and the runs in flight, so a concurrent copy waits for
 * the first copy's outcome instead of racing it. Storage (`admit`) is the other half, across processes and restarts.
 */
export class Dedupe {
  /**
   * By id alone, so a copy's lookup builds no key: two providers' ids can be equal, so each entry says whose it is,
   * and the other provider's copy goes to storage (the cache only ever saves a round trip).
   */
  private readonly finished: LruMap<string, { readonly provider: string; readonly fingerprint: string }>;
  /** Work of this process still running, by event, including work whose delivery was already answered. */
  private readonly inFlight = new Map<string, { readonly settled: Promise<boolean>; readonly fingerprint: string }>();

  constructor(cacheMax: number) {
    this.finished = new LruMap(cacheMax);
  }

  /** Remember that `key` needs no further run: a later copy with this `fingerprint` is a duplicate. */
  finish(key: EventKey, fingerprint: string): void {
    this.finished.set(key.id, { provider: key.provider, fingerprint });
  }

  /**
   * Whether this process saw `key` finish with this `fingerprint`: a copy of it is a duplicate, answered at once.
   * A copy answered here leaves the id where it was (a move would be a `Map` delete and insert on every copy): the
   * cache forgets the id finished longest ago first, and a copy of a forgotten id, answered by storage, puts it back.
   */
  knows(key: EventKey, fingerprint: string): boolean {
    const finished = this.finished.peek(key.id);
    return finished !== undefined && finished.fingerprint === fingerprint && finished.provider === key.provider;
  }

  /**
   * Run `work` for `key` (one this process does not `know`), unless it runs it now: then wait for that run,
   * at most `waitMs`. Never a success answer before the first copy's outcome is durable.
   */
  once(key: EventKey, fingerprint: string, waitMs: number, work: () => Accepted | Promise<Accepted>): Accepted | Promise<Accepted> {
    const k = cacheKey(key);
    const running = this.inFlight.get(k);
    if (running) return this.after(running, fingerprint, waitMs, work);
    const attempt = work();
    // Work that ended at once (an in-process store, handlers that returned at once) had no copy to race.
    if (!isThenable(attempt)) return attempt;
    const ended = (succeeded: boolean) => {
      if (this.inFlight.get(k) === run) this.inFlight.delete(k);
      return succeeded;
    };
    const run = { settled: attempt.then(() => ended(true), () => ended(false)), fingerprint };
    this.inFlight.set(k, run);
    return attempt;
  }

  /** A copy of an event whose run is in flight: its outcome awaited, at most `waitMs`. */
  private async after(running: { readonly settled: Promise<boolean>; readonly fingerprint: string }, fingerprint: string, waitMs: number,
    work: () => Accepted | Promise<Accepted>): Promise<Accepted> {
    const succeeded = await withDeadline(running.settled, waitMs, () => new WebhookError('in_progress'));
    if (!succeeded) throw new WebhookError('in_progress');
    // A copy that means something else is taken to storage, which answers it as a duplicate and reports the conflict.
    if (running.fingerprint === fingerprint) return { duplicate: true };
    return work();
  }

  /** Resolves `true` once every run in flight settled, or `false` after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    const all = Promise.all([...this.inFlight.values()].map((run) => run.settled)).then(() => true);
    return withDeadline(all, timeoutMs, () => false).catch(() => false);
  }

  /** Runs of this process in flight. */
  get running(): number {
    return this.inFlight.size;
  }
}
