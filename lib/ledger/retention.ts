import type { ReceiverErrorContext } from '../errors';
import { logger } from '../log';
import type { Logger } from '../log';
import type { PruneResult } from '../storage/storage';
import type { LedgerClient } from './client';

const log = logger('webhooks');

const PRUNING: ReceiverErrorContext = { provider: '*' };

/** Finished (`done`) entries are kept `retentionMs`, by the fleet's clock, then pruned: by the hour, or when asked. */
export class Retention {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: LedgerClient, private readonly retentionMs: number, private readonly logTo?: Logger) {}

  /** Remove the finished entries older than the retention. With `context`, a failure is also reported to `onError`. */
  prune(context?: ReceiverErrorContext): Promise<PruneResult> {
    const { client } = this;
    // Dated once the storage is initialized: its clock is read then.
    return client.call('prune', () => client.storage.prune(new Date(client.clock.now().getTime() - this.retentionMs)), context);
  }

  /** Prune every `intervalMs` (unref'd), each failure reported; `false`: only when `prune()` is called. */
  every(intervalMs: number | false): void {
    if (intervalMs === false || this.timer) return;
    this.timer = setInterval(() => {
      this.prune(PRUNING).then((r) => log.info({ entries: r.entries }, 'pruned', this.logTo), () => undefined);
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
