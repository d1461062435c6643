import { ReportedError } from '../errors';
import type { Entry, EventKey } from '../storage/storage';
import type { DeliveryCore } from '../pipeline/core';
import type { FailurePolicy } from '../pipeline/run-entry';
import { runEntry } from '../pipeline/run-entry';
import { logger } from '../log';
import type { BackoffOptions } from './backoff';
import { backoffDelay } from './backoff';
import { withDeadline } from './deadline';
import { describeError } from './describe-error';
import { storageCall } from './storage-call';

const log = logger('worker');

export interface WorkerOptions {
  /** Attempts before an entry becomes a dead letter. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Entries run at once by this process. */
  readonly concurrency: number;
  /** How often to look for due entries, in ms; `false`: only when `runDue()` is called. */
  readonly pollIntervalMs: number | false;
}

interface Leased {
  readonly entry: Entry;
  readonly owner: string;
  /** When the lease call was sent, by `performance.now()`. */
  readonly takenAt: number;
}

/** A lease answered an entry this process runs already: the running run kept it, nothing more to run. */
const KEPT = 'kept';

/**
 * Runs ledger entries that no delivery is running: in inbox mode it polls and leases due entries (one
 * worker per entry, across instances); in both modes it runs replays. Each entry goes through the same
 * `runEntry` as a sync delivery; a failure is due again after a backoff, and a dead letter after `maxAttempts`.
 * An entry leased more than `maxAttempts` times is a dead letter without running: its runs kept ending without
 * a settlement (the process died in them), so one more would most likely kill this process too.
 */
export class LedgerWorker {
  private handled = 0;
  private readonly active = new Set<Promise<void>>();
  private filling: Promise<void> | undefined;
  private again = false;
  /** How many leases the next round sends at once (see `leaseWhileRoom`). */
  private leaseBatch = 1;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly onFailure: FailurePolicy;

  constructor(private readonly core: DeliveryCore, private readonly options: WorkerOptions) {
    this.onFailure = (error, attempts) => attempts >= options.maxAttempts
      ? { status: 'dead', error }
      : { status: 'failed', error, retryInMs: backoffDelay(attempts, options.backoff) };
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
    for (;;) {
      await this.fill();
      if (this.active.size === 0) return this.handled - start;
      await Promise.allSettled([...this.active]);
    }
  }

  /** Lease the entry `key` now if it is due, and run it; answers whether it ran. */
  async runOne(key: EventKey): Promise<boolean> {
    const job = this.leaseAndRun(key);
    this.track(job);
    return job;
  }

  private async leaseAndRun(key: EventKey): Promise<boolean> {
    const leased = await this.lease(key);
    if (!leased || leased === KEPT) return false;
    await this.run(leased);
    return true;
  }

  /** Stop leasing and wait for running entries, up to `timeoutMs`. Resolves `true` when all settled. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Leases still in flight may yet start runs: wait for them first, then for every run, theirs included.
    const all = (async () => {
      await this.filling?.catch(() => undefined);
      await Promise.allSettled([...this.active]);
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
    do {
      this.again = false;
      while (!this.stopped && this.active.size < this.options.concurrency) {
        const batch = Math.min(this.options.concurrency - this.active.size, this.leaseBatch);
        const leased = await Promise.all(Array.from({ length: batch }, () => this.lease()));
        let found = 0;
        for (const one of leased) {
          if (!one) continue;
          found++;
          if (one !== KEPT) this.track(this.run(one), () => this.wake());
        }
        if (found < batch) {
          this.leaseBatch = 1;
          break; // fewer entries due than leases sent: none left for now
        }
        this.leaseBatch = Math.min(this.leaseBatch * 2, this.options.concurrency);
      }
    } while (this.again && !this.stopped);
  }

  /** Counted with the running entries (a slot taken, and waited for by `stop()`) until `work` settles; then `after`. */
  private track(work: Promise<unknown>, after?: () => void): void {
    const job: Promise<void> = work.then(() => undefined, () => undefined).finally(() => {
      this.active.delete(job);
      after?.();
    });
    this.active.add(job);
  }

  private async lease(key?: EventKey): Promise<Leased | typeof KEPT | undefined> {
    if (this.core.handlers.size === 0) return undefined; // mounted before its handlers: nothing to run them yet
    const owner = this.core.owner();
    let takenAt = 0;
    let entry: Entry | undefined;
    try {
      entry = await storageCall(this.core, 'lease', { provider: key?.provider ?? '*', ...(key ? { eventId: key.id } : {}) }, async () => {
        await this.core.ready();
        takenAt = performance.now();
        return this.core.storage.lease(owner, this.core.leaseMs, key);
      });
    } catch {
      return undefined; // reported by storageCall; the next poll tries again
    }
    if (!entry) return undefined;
    if (this.core.runs.retake(entry, owner, entry.attempts, takenAt)) {
      log('%s %s leased again while this process runs it (its lease looked expired to the storage: a stepped clock?); the running run keeps it',
        entry.provider, entry.id);
      return KEPT;
    }
    return { entry, owner, takenAt };
  }

  private run(leased: Leased): Promise<void> {
    const { entry } = leased;
    this.handled++;
    return this.core.telemetry.span('ntw.inbox.run', {
      'ntw.provider': entry.provider, 'ntw.event.id': entry.id, 'ntw.event.type': entry.type, 'ntw.attempt': entry.attempts,
    }, () => this.runLeased(leased));
  }

  private async runLeased({ entry, owner, takenAt }: Leased): Promise<void> {
    const key: EventKey = { provider: entry.provider, id: entry.id };
    if (entry.attempts > this.options.maxAttempts) return this.crashLoop(entry, owner);
    let event;
    try {
      event = this.core.codec.decode(entry.body);
    } catch (error) {
      await storageCall(this.core, 'settle', { provider: key.provider, eventId: key.id },
        () => this.core.storage.settle(key, owner, { status: 'dead', error: `undecodable entry: ${describeError(error)}` })).catch(() => undefined);
      return;
    }
    try {
      await runEntry(this.core, { event, entry, owner, takenAt }, this.onFailure);
      log('%s %s done after %d attempt(s)', key.provider, key.id, entry.attempts);
    } catch {
      // recorded by runEntry: a handler failure as failed or dead, a storage failure left to the lease
    }
  }

  /** Each lease counts an attempt and a run that failed settles one: attempts past `maxAttempts` were runs the process died in. */
  private async crashLoop(entry: Entry, owner: string): Promise<void> {
    const key: EventKey = { provider: entry.provider, id: entry.id };
    const message = `${entry.provider} ${entry.id} was leased ${entry.attempts} times, more than inbox.maxAttempts (${this.options.maxAttempts}), `
      + 'without finishing: its runs ended with no outcome stored, as when the process dies in them (a crash loop?). It is a dead letter, not run again';
    log('%s', message);
    const settled = await storageCall(this.core, 'settle', { provider: key.provider, eventId: key.id },
      () => this.core.storage.settle(key, owner, { status: 'dead', error: message })).catch(() => false);
    if (settled) this.core.reportError(new ReportedError('ERR_NTW_CRASH_LOOP', message), { provider: key.provider, eventId: key.id });
  }
}
