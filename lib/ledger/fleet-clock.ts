import { logger } from '../log';
import type { Logger } from '../log';

const log = logger('clock');

/** How often the offset to the storage's clock is measured again, in ms. */
export const CLOCK_SYNC_INTERVAL_MS = 60_000;

/**
 * The clock of the times instances compare: when an event was received (which retention prunes by), whether an
 * event is dated in the future, the windows the console counts. Each instance's own clock is not the fleet's: one
 * ten minutes behind would re-date a suspension before an activation another instance applied, and one days ahead
 * would prune what the others just finished. So where instances share a store with a clock of its own
 * (PostgreSQL's, Redis's `TIME`), that clock is read once, then carried forward by this process's monotonic clock
 * (`performance.now()`), which a step of the wall clock does not move; it is read again every minute. Before the
 * first reading, or with a store of one machine (memory, SQLite), the instance's own clock (`now`) is the clock.
 */
export class FleetClock {
  /** The storage's time at one moment of the monotonic clock. */
  private base: { readonly at: number; readonly mono: number } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly local: () => Date, private readonly source: (() => Date | Promise<Date>) | undefined, private readonly logTo?: Logger) {}

  now(): Date {
    const base = this.base;
    return base ? new Date(base.at + (performance.now() - base.mono)) : this.local();
  }

  /** How far the fleet's clock is ahead of this instance's own (`now`), in ms; 0 without a storage clock. */
  offsetMs(): number {
    return this.base ? this.now().getTime() - this.local().getTime() : 0;
  }

  /** Read the storage's clock now (its time is taken as of the middle of the round trip). */
  async sync(): Promise<void> {
    if (!this.source) return;
    const sent = performance.now();
    const at = (await this.source()).getTime();
    const answered = performance.now();
    if (!Number.isFinite(at)) throw new Error('the storage clock answered no time');
    this.base = { at, mono: (sent + answered) / 2 };
    log.debug({ offsetMs: Math.round(this.offsetMs()), durationMs: Math.round(answered - sent) }, 'storage clock read: offsetMs ahead of this instance', this.logTo);
  }

  /** Run `tick` (a reading) every `intervalMs`, unref'd, until `stop()`. */
  every(tick: () => void, intervalMs = CLOCK_SYNC_INTERVAL_MS): void {
    if (!this.source || this.timer) return;
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
