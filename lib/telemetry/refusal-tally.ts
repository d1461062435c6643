import type { Refusal } from './refusal';

/** Refusals of one provider with one status and code, since the process started. */
export interface RefusalCount {
  readonly provider: string;
  readonly status: number;
  readonly code: string;
  readonly count: number;
  readonly last: Date;
}

/** What the console reads: the rows (by provider, then code), and how many refusals fell outside them. */
export interface RefusalSnapshot {
  readonly since: Date;
  readonly rows: readonly RefusalCount[];
  /** Refusals of a kind first seen once the tally was full: counted here, not in a row. */
  readonly untallied: number;
}

/** Providers × codes is a few dozen rows; the cap only matters if a custom provider's names misbehave. */
export const REFUSAL_ROWS_MAX = 200;

/** A row being counted: a `RefusalCount` whose count and time still move. */
export type RefusalRow = { -readonly [K in keyof RefusalCount]: RefusalCount[K] };

/**
 * Counts the deliveries this process refused, by provider, status and code, with the time of the last one:
 * O(1) per refusal, at most `maxRows` rows. It keeps nothing of the request, not even the message.
 */
export class RefusalTally {
  private readonly rows = new Map<string, RefusalRow>();
  private untallied = 0;

  constructor(readonly since: Date, private readonly maxRows = REFUSAL_ROWS_MAX) {}

  record(refusal: Refusal): void {
    const key = `${refusal.provider}\u0000${refusal.status}\u0000${refusal.code}`;
    const row = this.rows.get(key);
    if (row) {
      row.count++;
      row.last = refusal.at;
    } else if (this.rows.size < this.maxRows) {
      this.rows.set(key, { provider: refusal.provider, status: refusal.status, code: refusal.code, count: 1, last: refusal.at });
    } else {
      this.untallied++;
    }
  }

  snapshot(): RefusalSnapshot {
    const rows = [...this.rows.values()]
      .map((row): RefusalCount => ({ ...row }))
      .sort((a, b) => a.provider.localeCompare(b.provider) || a.code.localeCompare(b.code) || a.status - b.status);
    return { since: this.since, rows, untallied: this.untallied };
  }
}
