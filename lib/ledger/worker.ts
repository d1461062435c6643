import { withDeadline } from '../shared/deadline';
import type { BackoffOptions } from './backoff';
import { backoffDelay } from './backoff';
import type { Inbox, Ledger } from './ledger';
import type { Leased, RunPolicy } from './stored-run';
import { KEPT, lease, runLeased } from './stored-run';

export interface WorkerOptions {
  /** Attempts before an entry becomes a dead letter. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Entries run at once by this process. */
  readonly concurrency: number;
  /** How often to look for due entries, in ms; `false`: only when `runDue()` is called. */
  readonly pollIntervalMs: number | false;
}

/**
 * Inbox mode's worker: polls and leases due entries (one worker per entry, across instances) and runs each through
 * the same `runEntry` as a sync delivery; a failure is due again after a backoff, and a dead letter after
 * `maxAttempts`. An entry leased more than `maxAttempts` times is a dead letter without running: its runs kept
 * ending without a settlement (the process died in them), so one more would most likely kill this process too.
 */
export class LedgerWorker implements Inbox {
  private handled = 0;
  private filling: Promise<void> | undefined;
  private again = false;
  /** How many leases the next round sends at once (see `leaseWhileRoom`). */
  private leaseBatch = 1;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly policy: RunPolicy;

  constructor(private readonly ledger: Ledger, private readonly options: WorkerOptions) {
    this.policy = {
      maxAttempts: options.maxAttempts,
      onFailure: (error, attempts) => attempts >= options.maxAttempts
        ? { status: 'dead', error }
        : { status: 'failed', error, retryInMs: backoffDelay(attempts, options.backoff) },
    };
  }

  /** Start polling (when `pollIntervalMs` is a number) and look for due entries now. */
  start(): void {
    if (this.stopped || this.timer || this.options.pollIntervalMs === false) return;
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  /** Look for due entries now (an event just arrived here, or one finished). No-op unless started. */
  wake(): void {
    if (this.timer) void this.fill();
  }

  /** Run every entry due now until none is left; answers how many were run. */
  async runDue(): Promise<number> {
    const start = this.handled;
    const { background } = this.ledger;
    for (;;) {
      await this.fill();
      if (background.size === 0) return this.handled - start;
      await background.settled();
    }
  }

  /** Stop leasing and wait for running entries, up to `timeoutMs`. Resolves `true` when all settled. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Leases still in flight may yet start runs: wait for them first, then for every run, theirs included.
    const all = (async () => {
      await this.filling?.catch(() => undefined);
      await this.ledger.background.settled();
      return true;
    })();
    return withDeadline(all, timeoutMs, () => false);
  }

  private fill(): Promise<void> {
    if (this.filling) {
      this.again = true;
      return this.filling;
    }
    this.filling = this.leaseWhileRoom().finally(() => { this.filling = undefined; });
    return this.filling;
  }

  /**
   * Leases several at once, not one after another: while deliveries keep the storage busy each lease waits its
   * turn there, and leasing one at a time ran about one entry per wait, whatever the concurrency. The batch
   * doubles while every lease finds an entry (up to the free slots) and starts again at one when one finds
   * none, so that a worker with nothing due sends one or two leases, not one per slot.
   */
  private async leaseWhileRoom(): Promise<void> {
    const { background } = this.ledger;
    do {
      this.again = false;
      while (!this.stopped && background.size < this.options.concurrency) {
        const batch = Math.min(this.options.concurrency - background.size, this.leaseBatch);
        const leased = await Promise.all(Array.from({ length: batch }, () => lease(this.ledger)));
        let found = 0;
        for (const one of leased) {
          if (!one) continue;
          found++;
          if (one !== KEPT) background.track(this.run(one), () => this.wake());
        }
        if (found < batch) {
          this.leaseBatch = 1;
          break; // fewer entries due than leases sent: none left for now
        }
        this.leaseBatch = Math.min(this.leaseBatch * 2, this.options.concurrency);
      }
    } while (this.again && !this.stopped);
  }

  private run(leased: Leased): Promise<void> {
    this.handled++;
    return runLeased(this.ledger, leased, this.policy);
  }
}
