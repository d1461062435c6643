import type { ReceiverErrorContext } from '../errors';
import { logger } from '../log';
import type { Logger } from '../log';
import type { RefusalMinute } from '../storage/storage';
import { mergeRefusals, minuteOf } from '../storage/kit/history';
import type { Refusal } from '../telemetry/refusal';
import { REFUSAL_ROWS_MAX } from '../telemetry/refusal-tally';
import type { LedgerClient } from './client';
import { describeError } from '../shared/describe-error';

const log = logger('webhooks');

/** How long refusals are gathered in this process before they are added to the storage's counts. */
export const REFUSALS_FLUSH_MS = 5000;

const EVERY_PROVIDER: ReceiverErrorContext = { provider: '*' };

/**
 * The fleet's refused deliveries (`Storage.addRefusals`): this process counts its own by minute, provider, status
 * and code, and adds them to the storage's counts every `REFUSALS_FLUSH_MS` while it refuses, with one storage call
 * (a flood of refusals is a few writes a minute, never one per request); the console reads every instance's from
 * there. A store without them keeps none: the console then shows this process's own tally.
 */
export class FleetRefusals {
  private pending = new Map<string, RefusalMinute>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly client: LedgerClient, private readonly flushMs = REFUSALS_FLUSH_MS, private readonly logTo?: Logger) {}

  /** Whether the storage keeps the fleet's refusals. */
  get kept(): boolean {
    return typeof this.client.storage.addRefusals === 'function' && typeof this.client.storage.listRefusals === 'function';
  }

  /** Count a refusal of this process; it reaches the storage within `flushMs`. */
  record(refusal: Refusal): void {
    if (!this.kept || this.stopped) return;
    const minute = new Date(minuteOf(refusal.at));
    const key = `${minute.getTime()}\u0000${refusal.provider}\u0000${refusal.status}\u0000${refusal.code}`;
    const seen = this.pending.get(key);
    if (seen) this.pending.set(key, { ...seen, count: seen.count + 1, last: seen.last > refusal.at ? seen.last : refusal.at });
    else if (this.pending.size < REFUSAL_ROWS_MAX) {
      this.pending.set(key, { minute, provider: refusal.provider, status: refusal.status, code: refusal.code, count: 1, last: refusal.at });
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => undefined);
    }, this.flushMs).unref();
  }

  /** Add what this process counted to the storage's counts now (a failure keeps them for the next try, and is reported). */
  flush(): Promise<void> {
    this.flushing ??= this.flushNow().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  /** Every instance's refusals in the minutes from `since` on, this process's latest included; `undefined` when the storage keeps none. */
  async list(since: Date): Promise<RefusalMinute[] | undefined> {
    if (!this.kept) return undefined;
    await this.flush().catch(() => undefined); // shown from this process's tally below, and the next flush tries again
    const stored = await this.client.call('listRefusals', () => this.client.storage.listRefusals!(since));
    const from = minuteOf(since);
    return mergeRefusals([...stored, ...[...this.pending.values()].filter((r) => r.minute.getTime() >= from)]);
  }

  /** Stop counting, and add what is left: the caller bounds the wait. */
  stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    return this.pending.size > 0 ? this.flush() : Promise.resolve();
  }

  private async flushNow(): Promise<void> {
    if (this.pending.size === 0) return;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.client.call('addRefusals', () => this.client.storage.addRefusals!(counts), EVERY_PROVIDER);
    } catch (error) {
      for (const c of counts) {
        const key = `${c.minute.getTime()}\u0000${c.provider}\u0000${c.status}\u0000${c.code}`;
        const seen = this.pending.get(key);
        if (seen) this.pending.set(key, mergeRefusals([seen, c])[0]!);
        else if (this.pending.size < REFUSAL_ROWS_MAX) this.pending.set(key, c);
      }
      log.warn({ error: describeError(error) }, 'refusals not stored (kept for the next try)', this.logTo);
      if (!this.stopped && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush().catch(() => undefined);
        }, this.flushMs).unref();
      }
      throw error;
    }
  }
}
