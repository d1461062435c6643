import type { ReceiverErrorContext } from '../errors';
import type { EventKey, OwnedSettlement, Settlement } from '../storage/storage';
import { Coalescer } from '../storage/kit/coalesce';
import type { Telemetry } from '../telemetry/telemetry';
import type { LedgerClient } from './client';
import { storedSettlement } from './settle';

/** The most settlements one `settleMany` call carries. */
const MAX_BATCH = 500;

/** The context of a report about a batch: it concerns the runs of several events. */
const EVERY_PROVIDER: ReceiverErrorContext = { provider: '*' };

/**
 * The worker's completed runs, stored together through the storage's `settleMany`: a `Coalescer` with one call out
 * at a time. The first goes at the end of its turn of the event loop, with the runs completed in that turn, and
 * those that complete while a call is under way wait for it and then go in one call (no timer: a batch is whatever
 * arrived meanwhile, so an idle worker's run is stored as soon as it completes). Each run's promise settles when
 * its batch is stored, or rejects with the batch's failure (reported once, for the batch, and never sent again one
 * by one: the client has classified and bounded it, and a storage failing a batch would as a rule fail its items
 * too). A run alone is a `settleMany` of one, like any batch.
 */
export class CompletionBatch {
  private readonly batches: Coalescer<OwnedSettlement, boolean>;

  constructor(private readonly client: LedgerClient, private readonly telemetry: Telemetry) {
    this.batches = new Coalescer<OwnedSettlement, boolean>({
      inFlight: 1, maxBatch: MAX_BATCH, isolate: () => false,
      one: (settlement) => this.store([settlement]).then((recorded) => recorded[0]!),
      many: (settlements) => this.store(settlements),
    });
  }

  /** A `SettleFn` for a storage with `settleMany`. */
  readonly settle = (key: EventKey, owner: string, settlement: Settlement): Promise<boolean> =>
    this.batches.call({ key, owner, settlement: storedSettlement(settlement) });

  /** One `settleMany` call: whether each was recorded, in order (an answer missing for one counts as not recorded). */
  private async store(settlements: readonly OwnedSettlement[]): Promise<boolean[]> {
    const { storage } = this.client;
    // Its span is a root: the call stores the runs of several events, not of the one that happened to send it.
    const recorded = await this.telemetry.detached(() =>
      this.client.call('settleMany', () => storage.settleMany!(settlements), EVERY_PROVIDER));
    return settlements.map((_, i) => recorded[i] === true);
  }
}
