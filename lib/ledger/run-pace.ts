/** The weight of the newest sample in each moving average. */
const WEIGHT = 0.1;
/** How long a lease call should take at most, by the recent calls' time per entry. */
const LEASE_CALL_BUDGET_MS = 500;

/**
 * How fast the worker's runs go, as moving averages of two durations: a run's handlers (from its start until they
 * returned, the slot it held then free) and a lease call (from its sending until its answer). From them, how many
 * entries a lease may take beyond the free slots so that the slots do not sit idle while the next lease is under way.
 */
export class RunPace {
  private handlersMs: number | undefined;
  private leaseMs: number | undefined;

  ran(ms: number): void {
    this.handlersMs = this.handlersMs === undefined ? ms : this.handlersMs + WEIGHT * (ms - this.handlersMs);
  }

  private perEntryMs: number | undefined;

  /** A lease call took `ms` and answered `entries`. */
  leased(ms: number, entries: number): void {
    this.leaseMs = this.leaseMs === undefined ? ms : this.leaseMs + WEIGHT * (ms - this.leaseMs);
    if (entries === 0) return;
    const each = ms / entries;
    this.perEntryMs = this.perEntryMs === undefined ? each : this.perEntryMs + WEIGHT * (each - this.perEntryMs);
  }

  /**
   * The most entries one lease call should ask for, at most `max`: as many as the recent calls took
   * `LEASE_CALL_BUDGET_MS` for, so that a database that slows down (dead row versions piling up, a busy server) is
   * asked for smaller batches rather than ones that run into its statement timeout.
   */
  batchLimit(min: number, max: number): number {
    if (this.perEntryMs === undefined) return max;
    return Math.max(min, Math.min(max, Math.floor(LEASE_CALL_BUDGET_MS / this.perEntryMs)));
  }

  /**
   * Entries to lease beyond the free slots, at most `max`: as many as `slots` finish while a lease call is under
   * way, so each waits about one lease call for its slot. None until both durations were measured, and none once
   * handlers take `slots` times as long as a lease call (a handler that calls slow services): then a lease takes
   * only what the free slots run at once.
   */
  ahead(slots: number, max: number): number {
    if (this.handlersMs === undefined || this.leaseMs === undefined || max <= 0) return 0;
    return Math.min(max, Math.floor((slots * this.leaseMs) / Math.max(this.handlersMs, 0.01)));
  }
}
