import { withDeadline } from '../shared/deadline';
import type { BackoffOptions } from './backoff';
import { backoffDelay } from './backoff';
import type { EventKey } from '../storage/storage';
import type { Inbox, Ledger } from './ledger';
import { RunPace } from './run-pace';
import { CompletionBatch } from './completion-batch';
import type { RunHooks } from './stored-run';
import type { Leased, RunPolicy } from './stored-run';
import { KEPT, lease, leaseMany, runLeased } from './stored-run';
import { startLeaseHeartbeat } from './lease-heartbeat';
import type { LeaseHeartbeat } from './lease-heartbeat';

export interface WorkerOptions {
  /** Attempts before an entry becomes a dead letter. */
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  /** Entries whose handlers run at once in this process. */
  readonly concurrency: number;
  /** How often to look for due entries, in ms; `false`: only when `runDue()` is called. */
  readonly pollIntervalMs: number | false;
}

/** The most entries one `leaseMany` call asks for. */
const MAX_BATCH = 500;
/** Runs whose handlers are through but whose outcome is still being stored, past which the worker leases no more. */
const MAX_SETTLING = 2 * MAX_BATCH;

/**
 * Inbox mode's worker: polls and leases due entries (one worker per entry, across instances) and runs each through
 * the same `runEntry` as a sync delivery; a failure is due again after a backoff, and a dead letter after
 * `maxAttempts`. An entry leased more than `maxAttempts` times is a dead letter without running: its runs kept
 * ending without a settlement (the process died in them), so one more would most likely kill this process too.
 *
 * A slot is held while a run's handlers run: storing the outcome goes on after the slot is free, so cheap handlers
 * are not held to one lease and one settle round trip each per slot. With a storage that has `leaseMany`, one call
 * leases for every free slot, and, while handlers end faster than a lease call answers, for as many more as the
 * slots will finish meanwhile (`RunPace`): those wait for a slot in `ready`, about one lease call each, their leases
 * kept alive meanwhile by the same heartbeat as a run's. Completions go through `settleMany` where the storage has it.
 */
export class LedgerWorker implements Inbox {
  private handled = 0;
  private filling: Promise<void> | undefined;
  private again = false;
  /** Without `leaseMany`: how many leases the next round sends at once (see `takeOneByOne`). */
  private leaseBatch = 1;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly policy: RunPolicy;
  /** Leased, waiting for a slot, oldest first. */
  private readonly ready: Waiting[] = [];
  /** Runs whose handlers have not returned yet: at most `concurrency`. */
  private running = 0;
  private readonly pace = new RunPace();
  /** Completions stored many at once, with a storage that has `settleMany`. */
  private readonly completions: CompletionBatch | undefined;

  constructor(private readonly ledger: Ledger, private readonly options: WorkerOptions) {
    this.policy = {
      maxAttempts: options.maxAttempts,
      onFailure: (error, attempts) => attempts >= options.maxAttempts
        ? { status: 'dead', error }
        : { status: 'failed', error, retryInMs: backoffDelay(attempts, options.backoff) },
    };
    this.completions = ledger.client.storage.settleMany ? new CompletionBatch(ledger.client, ledger.telemetry) : undefined;
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
      if (!(await this.settledOnce())) return this.handled - start;
    }
  }

  /**
   * Stop leasing and wait for running entries, up to `timeoutMs`. Resolves `true` when all settled. Entries still
   * waiting for a slot then are left to their leases (no longer renewed), for whoever takes them next.
   */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    // Leases still in flight may yet start runs: wait for them first, then for every run, the leased ones waiting included.
    const all = (async () => {
      await this.filling?.catch(() => undefined);
      while (await this.settledOnce());
      return true;
    })();
    const settled = await withDeadline(all, timeoutMs, () => false);
    for (const waiting of this.ready.splice(0)) waiting.heartbeat?.stop();
    return settled;
  }

  /** Start what waits for a slot, then wait for the work under way now: `false` when there was none. */
  private async settledOnce(): Promise<boolean> {
    this.startReady();
    const { background } = this.ledger;
    if (background.size === 0 && this.ready.length === 0) return false;
    await background.settled();
    return true;
  }

  private fill(): Promise<void> {
    if (this.filling) {
      this.again = true;
      return this.filling;
    }
    this.filling = this.leaseWhileRoom().finally(() => { this.filling = undefined; });
    return this.filling;
  }

  /** How many entries to lease now: the free slots and the pace's lead, less those leased already, within the bounds. */
  private wanted(): number {
    if (this.stopped || this.ledger.background.size - this.running >= MAX_SETTLING) return 0;
    const { concurrency } = this.options;
    if (!this.ledger.client.storage.leaseMany) return concurrency - this.running - this.ready.length;
    const ahead = this.pace.ahead(concurrency, MAX_BATCH - concurrency);
    return Math.min(this.pace.batchLimit(concurrency, MAX_BATCH), concurrency + ahead - this.running - this.ready.length);
  }

  private async leaseWhileRoom(): Promise<void> {
    do {
      this.again = false;
      this.startReady();
      for (let want = this.wanted(); want > 0; want = this.wanted()) {
        const sent = performance.now();
        const { leased, exhausted } = this.ledger.client.storage.leaseMany ? await this.takeMany(want) : await this.takeOneByOne(want);
        this.pace.leased(performance.now() - sent, leased.length);
        for (const one of leased) this.ready.push({ leased: one, heartbeat: undefined, lost: false });
        this.startReady();
        this.keepWaitingLeases();
        if (exhausted) break; // fewer entries due than asked for: none left for now
      }
    } while (this.again && !this.stopped);
  }

  private async takeMany(want: number): Promise<{ leased: Leased[]; exhausted: boolean }> {
    const { leased, found } = await leaseMany(this.ledger, want);
    return { leased, exhausted: found < want };
  }

  /**
   * Without `leaseMany`: several leases at once, not one after another: while deliveries keep the storage busy each
   * lease waits its turn there, and leasing one at a time ran about one entry per wait, whatever the concurrency. The
   * batch doubles while every lease finds an entry (up to the free slots) and starts again at one when one finds
   * none, so that a worker with nothing due sends one or two leases, not one per slot.
   */
  private async takeOneByOne(want: number): Promise<{ leased: Leased[]; exhausted: boolean }> {
    const batch = Math.min(want, this.leaseBatch);
    const answers = await Promise.all(Array.from({ length: batch }, () => lease(this.ledger)));
    const leased: Leased[] = [];
    let found = 0;
    for (const one of answers) {
      if (!one) continue;
      found++;
      if (one !== KEPT) leased.push(one);
    }
    if (found < batch) {
      this.leaseBatch = 1;
      return { leased, exhausted: true };
    }
    this.leaseBatch = Math.min(this.leaseBatch * 2, this.options.concurrency);
    return { leased, exhausted: false };
  }

  /**
   * Start the leased entries waiting, while slots are free (also once stopped: they are leased to this process). One
   * whose lease was lost while it waited (a renewal refused, or none through in time) is not run: whoever takes it
   * next runs it.
   */
  private startReady(): void {
    while (this.running < this.options.concurrency && this.ready.length > 0) {
      const waiting = this.ready.shift()!;
      waiting.heartbeat?.stop();
      if (!waiting.lost) this.begin(waiting.leased);
    }
  }

  /**
   * The entries left waiting for a slot keep their leases as a run does, by the same heartbeat: renewed every third of
   * the lease while they wait (which, as a rule, ends long before the first renewal). A run then counts its lease
   * from the last renewal.
   */
  private keepWaitingLeases(): void {
    const { ledger } = this;
    const { client } = ledger;
    for (const waiting of this.ready) {
      if (waiting.heartbeat) continue;
      const { entry, owner } = waiting.leased;
      const key: EventKey = { provider: entry.provider, id: entry.id };
      waiting.heartbeat = startLeaseHeartbeat({
        leaseMs: ledger.leaseMs,
        label: `${key.provider} ${key.id}`,
        key,
        logger: ledger.logger,
        takenAt: waiting.leased.takenAt,
        renew: async () => {
          const sentAt = performance.now();
          const ours = await client.call('extend', () => client.storage.extend(key, owner, ledger.leaseMs), { provider: key.provider, eventId: key.id });
          if (ours) waiting.leased = { entry, owner, takenAt: sentAt };
          return ours;
        },
        lost: () => { waiting.lost = true; },
        ...(ledger.renewalSchedule ? { schedule: ledger.renewalSchedule } : {}),
      });
    }
  }

  private begin(leased: Leased): void {
    this.running++;
    this.handled++;
    const started = performance.now();
    let holding = true;
    const freeSlot = () => {
      if (!holding) return;
      holding = false;
      this.running--;
      this.pace.ran(performance.now() - started);
      this.startReady();
      this.wake();
    };
    const run = this.run(leased, freeSlot).finally(freeSlot);
    this.ledger.background.track(run, () => this.wake());
  }

  private run(leased: Leased, freeSlot: () => void): Promise<void> {
    const hooks: RunHooks = this.completions ? { handled: freeSlot, complete: this.completions.settle } : { handled: freeSlot };
    return runLeased(this.ledger, leased, this.policy, hooks);
  }
}

/** A leased entry waiting for a slot, its lease kept by its heartbeat meanwhile (`leased.takenAt`: its last renewal). */
interface Waiting {
  leased: Leased;
  heartbeat: LeaseHeartbeat | undefined;
  lost: boolean;
}
