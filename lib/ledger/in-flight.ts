import { withDeadline } from '../shared/deadline';

/** Work under way that `close()` waits for: runs of stored entries, the worker's and replays'. */
export class InFlight {
  private readonly work = new Set<Promise<void>>();

  /** Counted (a slot taken, and waited for) until `work` settles, whatever it settles with; then `after`. */
  track(work: Promise<unknown>, after?: () => void): void {
    const job: Promise<void> = work.then(() => undefined, () => undefined).finally(() => {
      this.work.delete(job);
      after?.();
    });
    this.work.add(job);
  }

  get size(): number {
    return this.work.size;
  }

  /** Resolves once everything under way now has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.work]);
  }

  /** Resolves `true` once everything under way settled, or `false` after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return withDeadline(this.settled().then(() => true), timeoutMs, () => false);
  }
}
