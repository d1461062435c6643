import { logger } from '../log';
import type { Logger } from '../log';
import { describeError } from '../shared/describe-error';

const log = logger('lease');

/**
 * Runs `beat` every `intervalMs` until the returned function is called. `beat` never rejects.
 * Injectable so tests drive renewals by hand instead of waiting on timers.
 */
export type RenewalSchedule = (beat: () => Promise<void>, intervalMs: number) => () => void;

/** What a shared timer beats: a heartbeat on the default schedule. */
interface Beating {
  beat(): Promise<void>;
}

/**
 * The default schedule: every lease of one length beats on one shared, unref'd `setInterval` (it never keeps the
 * process alive), one timer per interval: runs come and go by the thousand a second, and most end before their
 * first beat. A run's first beat comes within `intervalMs` of its start, possibly sooner (renewing early is
 * harmless), and the next ones every `intervalMs`. A timer left with no run stops at its next tick.
 */
const tickers = new Map<number, Set<Beating>>();

/** `beating` beats every `intervalMs` on the shared timer of that interval (made on first use) until removed from the set. */
function tickerOf(intervalMs: number): Set<Beating> {
  let beats = tickers.get(intervalMs);
  if (!beats) {
    const each = new Set<Beating>();
    const timer = setInterval(() => {
      if (each.size === 0) {
        clearInterval(timer);
        tickers.delete(intervalMs);
        return;
      }
      for (const beating of each) void beating.beat();
    }, intervalMs);
    timer.unref();
    tickers.set(intervalMs, each);
    beats = each;
  }
  return beats;
}

export interface LeaseHeartbeatOptions {
  /** The lease's length: it is renewed every third of it. */
  readonly leaseMs: number;
  /** Renew the lease: `true` when renewed, `false` when it is no longer ours; a throw is a renewal that failed. */
  readonly renew: () => boolean | Promise<boolean>;
  /** A renewal failed (threw, or passed its deadline): it is tried again while the lease lasts. */
  readonly failed?: (error: unknown) => void;
  /**
   * The lease was lost: a renewal answered `false`, or the lease ran out (by `clock`) with no renewal through;
   * `why` says which, `cause` is the last renewal's error. Called once per loss; renewal stops until `retaken`.
   */
  readonly lost: (why: string, cause?: unknown) => void;
  /** What the log names the lease by, e.g. `tokenex evt-1`. */
  readonly label: string;
  /** The leased entry, for the log's `provider` and `eventId`. */
  readonly key?: { readonly provider: string; readonly id: string };
  /** Where the renewals' failures and a loss are logged (the receiver's logger); `debug` without one. */
  readonly logger?: Logger | undefined;
  readonly schedule?: RenewalSchedule;
  /** When the lease was taken (when the call that took it was sent), by `clock`. Default: now. */
  readonly takenAt?: number;
  /** A monotonic clock in ms, that a stepped wall clock does not move. Default `performance.now` (tests inject one). */
  readonly clock?: () => number;
}

export interface LeaseHeartbeat {
  /** The work settled: stop renewing, and ignore a renewal still under way. */
  stop(): void;
  /** The lease was taken again for the same work, with the call sent at `at` (by the clock): renew that one, again if it was lost. */
  retaken(at: number): void;
}

const monotonic = () => performance.now();

/**
 * Keep a lease alive while work runs: renew it every `leaseMs / 3`. The lease is judged to last `leaseMs` from
 * when the last successful renewal (or the take) was sent, by a monotonic clock: the storage extended it at
 * that moment or later. A renewal that fails or passes its deadline is tried again at once, then at each beat,
 * while the lease lasts (less a margin); the lease is lost only when a renewal answers `false` or when it ran
 * out with none through: then `lost` is called, once, and renewal stops. One renewal at a time: a beat while
 * one is under way is skipped. The work itself is never interrupted here.
 */
export function startLeaseHeartbeat(options: LeaseHeartbeatOptions): LeaseHeartbeat {
  return new Heartbeat(options);
}

/**
 * `startLeaseHeartbeat`'s heartbeat: one object per run, its steps methods rather than closures (a run that ends
 * before its first beat, as most do, costs this object and its place in the shared timer's set).
 */
class Heartbeat implements LeaseHeartbeat, Beating {
  private readonly clock: () => number;
  /** Judged lost a little before the storage would: its clock may run a little fast, and the run should hear of it first. */
  private readonly margin: number;
  private readonly intervalMs: number;
  private validUntil: number;
  private state: 'renewing' | 'lost' | 'stopped' = 'renewing';
  private renewing = false;
  private lastError: unknown;
  /** Ends the beats: this heartbeat's removal from the shared timer, or the cancel a custom schedule gave. */
  private cancel: (() => void) | undefined;
  private watch: NodeJS.Timeout | undefined;

  constructor(private readonly options: LeaseHeartbeatOptions) {
    const { leaseMs } = options;
    this.clock = options.clock ?? monotonic;
    this.margin = Math.min(1000, leaseMs / 10);
    this.intervalMs = Math.max(1, Math.floor(leaseMs / 3));
    this.validUntil = (options.takenAt ?? this.clock()) + leaseMs;
    this.start();
  }

  stop(): void {
    if (this.state === 'stopped') return;
    const wasRenewing = this.state === 'renewing';
    this.state = 'stopped';
    this.unwatch();
    if (wasRenewing) this.end();
  }

  retaken(at: number): void {
    if (this.state === 'stopped') return;
    this.validUntil = Math.max(this.validUntil, at + this.options.leaseMs);
    this.lastError = undefined;
    this.unwatch();
    if (this.state === 'lost') {
      this.state = 'renewing';
      this.start();
    }
  }

  async beat(): Promise<void> {
    if (this.state !== 'renewing') return;
    if (this.ranOut()) return this.expire();
    if (this.renewing) return;
    // A renewal that failed is tried again at once: it may have waited its whole deadline for a connection gone silent.
    if (!(await this.attempt()) && this.state === 'renewing' && !this.renewing) await this.attempt();
  }

  private start(): void {
    const { schedule } = this.options;
    if (schedule) {
      this.cancel = schedule(() => this.beat(), this.intervalMs);
    } else {
      tickerOf(this.intervalMs).add(this);
      this.cancel = undefined;
    }
    if (this.state !== 'renewing') this.end();
  }

  private end(): void {
    if (this.cancel) this.cancel();
    else tickers.get(this.intervalMs)?.delete(this);
  }

  private ranOut(): boolean {
    return this.clock() >= this.validUntil - this.margin;
  }

  private unwatch(): void {
    if (this.watch) clearTimeout(this.watch);
    this.watch = undefined;
  }

  /** The log's fields: the leased entry's provider and event id. */
  private fields(): { provider?: string; eventId?: string } {
    const { key } = this.options;
    return key ? { provider: key.provider, eventId: key.id } : {};
  }

  private lose(why: string): void {
    if (this.state !== 'renewing') return;
    this.state = 'lost';
    this.end();
    this.unwatch();
    log.warn({ ...this.fields(), code: 'ERR_NTW_LEASE_LOST' }, `${this.options.label}: lease lost (${why}), renewal stopped`, this.options.logger);
    this.options.lost(why, this.lastError);
  }

  private expire(): void {
    this.lose(`it ran out ${this.options.leaseMs} ms after its last renewal, with no renewal through since`);
  }

  /** After a failed renewal, the loss is noticed when the lease runs out, not at the next beat, up to a third of it later. */
  private watchExpiry(): void {
    if (this.watch) return;
    this.watch = setTimeout(() => {
      this.watch = undefined;
      if (this.state !== 'renewing') return;
      if (this.ranOut()) this.expire();
      else this.watchExpiry(); // a timer may fire a little early, or the lease was renewed meanwhile
    }, Math.max(1, this.validUntil - this.margin - this.clock()));
    this.watch.unref();
  }

  private async attempt(): Promise<boolean> {
    const { options } = this;
    const sentAt = this.clock();
    this.renewing = true;
    let ours: boolean;
    try {
      ours = await options.renew();
    } catch (error) {
      this.renewing = false;
      if (this.state !== 'renewing') return true; // settled meanwhile: complete/release ended the lease on purpose
      this.lastError = error;
      log.warn({ ...this.fields(), error: describeError(error) }, `${options.label}: renewal failed, tried again while the lease lasts`, options.logger);
      options.failed?.(error);
      if (this.ranOut()) this.expire();
      else this.watchExpiry();
      return false;
    }
    this.renewing = false;
    if (this.state !== 'renewing') return true;
    if (!ours) {
      this.lose('the storage answered that it no longer holds it: it expired there, or another run took it');
      return true;
    }
    this.validUntil = Math.max(this.validUntil, sentAt + options.leaseMs);
    this.lastError = undefined;
    this.unwatch();
    return true;
  }
}
