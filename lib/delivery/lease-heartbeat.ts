import { logger } from '../log';

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
  /** Renew the lease; `false` (or a throw) when it is no longer ours. */
  readonly renew: () => boolean | Promise<boolean>;
  /** Called at most once, when a renewal failed or answered `false`; renewal stops then. */
  readonly lost: (error: unknown) => void;
  /** What the log names the lease by, e.g. `tokenex evt-1`. */
  readonly label: string;
  readonly schedule?: RenewalSchedule;
}

/**
 * Keep a lease alive while work runs: renew it every `leaseMs / 3`. Returns `stop`, to call when the
 * work settles. A lost lease is reported once and renewal stops; the work itself is not interrupted.
 * One renewal at a time: a beat while the previous renewal is still pending is skipped.
 */
export function startLeaseHeartbeat(options: LeaseHeartbeatOptions): () => void {
  let stopped = false;
  let renewing = false;
  let cancel = () => {};
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancel();
  };
  const beat = async (): Promise<void> => {
    if (stopped || renewing) return;
    renewing = true;
    let error: unknown;
    try {
      if (await options.renew()) return;
      error = new Error(`lease of ${options.label} was lost while its work was running: another worker or delivery may run it again`);
    } catch (caught) {
      error = caught;
    } finally {
      renewing = false;
    }
    if (stopped) return; // settled meanwhile: complete/release ended the lease on purpose
    stop();
    log('%s: renewal failed, renewal stopped: %s', options.label, (error as Error)?.message ?? error);
    options.lost(error);
  };
  cancel = (options.schedule ?? intervalSchedule)(beat, Math.max(1, Math.floor(options.leaseMs / 3)));
  if (stopped) cancel();
  return stop;
}
