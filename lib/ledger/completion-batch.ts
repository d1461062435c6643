import type { ReceiverErrorContext } from '../errors';
import type { EventKey, OwnedSettlement, Settlement } from '../storage/storage';
import type { Telemetry } from '../telemetry/telemetry';
import type { LedgerClient } from './client';
import { storedSettlement } from './settle';

/** The most settlements one `settleMany` call carries. */
const MAX_BATCH = 500;

/** The context of a report about a batch: it concerns the runs of several events. */
const EVERY_PROVIDER: ReceiverErrorContext = { provider: '*' };

interface Waiting {
  readonly settlement: OwnedSettlement;
  readonly resolve: (recorded: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The worker's completed runs, stored together through the storage's `settleMany`: the first goes at once, and those
 * that complete while a call is under way wait for it and then go in one call (no timer: a batch is whatever arrived
 * meanwhile, so an idle worker's run is stored as soon as it completes). Each run's promise settles when its batch
 * is stored, or rejects with the batch's failure (reported once, for the batch). One call at a time.
 */
export class CompletionBatch {
  private waiting: Waiting[] = [];
  private sending = false;

  constructor(private readonly client: LedgerClient, private readonly telemetry: Telemetry) {}

  /** A `SettleFn` for a storage with `settleMany`. */
  readonly settle = (key: EventKey, owner: string, settlement: Settlement): Promise<boolean> =>
    new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ settlement: { key, owner, settlement: storedSettlement(settlement) }, resolve, reject });
      if (!this.sending) void this.send();
    });

  private async send(): Promise<void> {
    this.sending = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.length <= MAX_BATCH ? this.waiting : this.waiting.slice(0, MAX_BATCH);
      this.waiting = this.waiting.length <= MAX_BATCH ? [] : this.waiting.slice(MAX_BATCH);
      const { storage } = this.client;
      try {
        // Its span is a root: the call stores the runs of several events, not of the one that happened to send it.
        const recorded = await this.telemetry.detached(() =>
          this.client.call('settleMany', () => storage.settleMany!(batch.map((w) => w.settlement)), EVERY_PROVIDER));
        batch.forEach((w, i) => w.resolve(recorded[i] === true));
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.sending = false;
  }
}
