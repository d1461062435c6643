/** The weight of the newest sample in each moving average. */
const WEIGHT = 0.1;

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

  leased(ms: number): void {
    this.leaseMs = this.leaseMs === undefined ? ms : this.leaseMs + WEIGHT * (ms - this.leaseMs);
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
