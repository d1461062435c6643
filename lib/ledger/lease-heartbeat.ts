import { logger } from '../log';
import type { Logger } from '../log';
import { describeError } from '../shared/describe-error';

const log = logger('lease');

/**
 * Runs `beat` every `intervalMs` until the returned function is called. `beat` never rejects.
 * Injectable so tests drive renewals by hand instead of waiting on timers.
 */
export type RenewalSchedule = (beat: () => Promise<void>, intervalMs: number) => () => void;

interface Ticker {
  readonly beats: Set<() => Promise<void>>;
  readonly timer: NodeJS.Timeout;
}

/** One shared timer per interval: runs come and go by the thousand a second, and most end before their first beat. */
const tickers = new Map<number, Ticker>();

/**
 * The default schedule: every lease of one length beats on one shared, unref'd `setInterval` (it never keeps the
 * process alive). A run's first beat comes within `intervalMs` of its start, possibly sooner (renewing early is
 * harmless), and the next ones every `intervalMs`. A timer left with no run stops at its next tick.
 */
export const intervalSchedule: RenewalSchedule = (beat, intervalMs) => {
  let ticker = tickers.get(intervalMs);
  if (!ticker) {
    const beats = new Set<() => Promise<void>>();
    const timer = setInterval(() => {
      if (beats.size === 0) {
        clearInterval(timer);
        tickers.delete(intervalMs);
        return;
      }
      for (const each of beats) void each();
    }, intervalMs);
    timer.unref();
    ticker = { beats, timer };
    tickers.set(intervalMs, ticker);
  }
  const { beats } = ticker;
  // A function object of its own, so that one beat registered twice is cancelled once each.
  const own = () => beat();
  beats.add(own);
  return () => { beats.delete(own); };
};

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
  const { leaseMs, label } = options;
  const fields = options.key ? { provider: options.key.provider, eventId: options.key.id } : {};
  const clock = options.clock ?? monotonic;
  // Judged lost a little before the storage would: its clock may run a little fast, and the run should hear of it first.
  const margin = Math.min(1000, leaseMs / 10);
  const intervalMs = Math.max(1, Math.floor(leaseMs / 3));
  const schedule = options.schedule ?? intervalSchedule;
  let validUntil = (options.takenAt ?? clock()) + leaseMs;
  let state: 'renewing' | 'lost' | 'stopped' = 'renewing';
  let renewing = false;
  let lastError: unknown;
  let cancel = () => {};
  let watch: NodeJS.Timeout | undefined;

  const ranOut = () => clock() >= validUntil - margin;
  const unwatch = () => {
    if (watch) clearTimeout(watch);
    watch = undefined;
  };
  const lose = (why: string) => {
    if (state !== 'renewing') return;
    state = 'lost';
    cancel();
    unwatch();
    log.warn({ ...fields, code: 'ERR_NTW_LEASE_LOST' }, `${label}: lease lost (${why}), renewal stopped`, options.logger);
    options.lost(why, lastError);
  };
  const expire = () => lose(`it ran out ${leaseMs} ms after its last renewal, with no renewal through since`);
  // After a failed renewal, the loss is noticed when the lease runs out, not at the next beat, up to a third of it later.
  const watchExpiry = () => {
    if (watch) return;
    watch = setTimeout(() => {
      watch = undefined;
      if (state !== 'renewing') return;
      if (ranOut()) expire();
      else watchExpiry(); // a timer may fire a little early, or the lease was renewed meanwhile
    }, Math.max(1, validUntil - margin - clock()));
    watch.unref();
  };
  const attempt = async (): Promise<boolean> => {
    const sentAt = clock();
    renewing = true;
    let ours: boolean;
    try {
      ours = await options.renew();
    } catch (error) {
      renewing = false;
      if (state !== 'renewing') return true; // settled meanwhile: complete/release ended the lease on purpose
      lastError = error;
      log.warn({ ...fields, error: describeError(error) }, `${label}: renewal failed, tried again while the lease lasts`, options.logger);
      options.failed?.(error);
      if (ranOut()) expire();
      else watchExpiry();
      return false;
    }
    renewing = false;
    if (state !== 'renewing') return true;
    if (!ours) {
      lose('the storage answered that it no longer holds it: it expired there, or another run took it');
      return true;
    }
    validUntil = Math.max(validUntil, sentAt + leaseMs);
    lastError = undefined;
    unwatch();
    return true;
  };
  const beat = async (): Promise<void> => {
    if (state !== 'renewing') return;
    if (ranOut()) return expire();
    if (renewing) return;
    // A renewal that failed is tried again at once: it may have waited its whole deadline for a connection gone silent.
    if (!(await attempt()) && state === 'renewing' && !renewing) await attempt();
  };
  const start = () => {
    cancel = schedule(beat, intervalMs);
    if (state !== 'renewing') cancel();
  };
  start();
  return {
    stop() {
      if (state === 'stopped') return;
      const wasRenewing = state === 'renewing';
      state = 'stopped';
      unwatch();
      if (wasRenewing) cancel();
    },
    retaken(at) {
      if (state === 'stopped') return;
      validUntil = Math.max(validUntil, at + leaseMs);
      lastError = undefined;
      unwatch();
      if (state === 'lost') {
        state = 'renewing';
        start();
      }
    },
  };
}
