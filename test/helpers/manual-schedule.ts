import type { RenewalSchedule } from '../../lib';

export interface ScheduledRenewal {
  readonly intervalMs: number;
  /** Run one renewal now, as the timer would, and wait for it. */
  readonly beat: () => Promise<void>;
  cancelled: boolean;
}

/** A renewal schedule the test drives by hand: no timers, no waiting. */
export function manualSchedule(): { schedule: RenewalSchedule; renewals: ScheduledRenewal[] } {
  const renewals: ScheduledRenewal[] = [];
  const schedule: RenewalSchedule = (beat, intervalMs) => {
    const renewal: ScheduledRenewal = { intervalMs, beat, cancelled: false };
    renewals.push(renewal);
    return () => { renewal.cancelled = true; };
  };
  return { schedule, renewals };
}
