/** How a `Coalescer` sends its items: alone, together, and which failures of a batch are worth sending again one by one. */
export interface CoalesceOptions<I, O> {
  /** One item on its own: a call that found a batch slot free, or an item of a batch that failed for one item's sake. */
  readonly one: (item: I) => Promise<O>;
  /** Two or more items in one statement and one commit: one result per item, in the order given. */
  readonly many: (items: readonly I[]) => Promise<readonly O[]>;
  /**
   * Whether a failed batch may have failed for one item's sake (its data, a deadlock with another transaction):
   * its items are then sent again each on its own, so that one bad item never fails the others. Any other failure
   * (a lost connection, a timeout) fails every caller of the batch.
   */
  readonly isolate: (error: unknown) => boolean;
  /** Batches out at once; past it calls wait for the next batch. */
  readonly inFlight: number;
  /** The most items one batch takes. */
  readonly maxBatch: number;
  /**
   * The most bytes one batch carries, as `size` counts them (unbounded when left out): the batch leaving takes the
   * calls waiting, in order, while their sizes add up to no more, and always the first. It bounds a statement (a
   * script call) holding many large bodies: its memory on both sides and the time it holds the store.
   */
  readonly maxBytes?: number;
  /** One item's size, for `maxBytes`. */
  readonly size?: (item: I) => number;
  /**
   * The longest a call waits for a batch to take it, in ms (unbounded when left out). A call past it when the next
   * batch leaves is failed instead of sent, as a pool fails a query that waited too long for a connection: while
   * the store does not answer, the calls arriving do not pile up for ever, nor reach it long after their callers
   * gave up.
   */
  readonly maxWaitMs?: number;
  /** The clock `maxWaitMs` is judged by, in ms. Default `performance.now`. */
  readonly now?: () => number;
}

/**
 * The bytes of bodies one batch of admits carries at most (`maxBytes`): 64 bodies of the default 64 KB limit would
 * be 4 MB in one statement or script call, and a raised limit more; a batch saves round trips and commits, which a
 * few large bodies do not need to share.
 */
export const BATCH_MAX_BYTES = 1 << 20;

interface Waiting<I, O> {
  readonly item: I;
  readonly since: number;
  readonly resolve: (value: O) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The calls of concurrent deliveries to one kind of write (admit, settle), sent as batches: one statement and one
 * commit for all the calls that arrived while the store was busy. No timer: a call waits at most for the end of
 * the turn of the event loop it was made in (`setImmediate`), when it leaves with every call made in that turn
 * while fewer than `inFlight` batches are out, so an idle store answers as fast as without it; otherwise it waits,
 * and the next batch to leave takes every call waiting (up to `maxBatch`). Each caller's promise settles with its
 * own result once the batch it went in has been answered: `many` resolves only after its commit.
 *
 * Waiting for the end of the turn: the requests whose bytes arrived together are read in one turn, so their calls
 * leave together; sent at once, the first went alone and the others waited for its round trip (a third of the
 * PostgreSQL row's statements carried one delivery, about 4% since).
 */
export class Coalescer<I, O> {
  private readonly options: CoalesceOptions<I, O>;
  private waiting: Waiting<I, O>[] = [];
  private out = 0;
  private readonly now: () => number;
  /** Whether the calls of this turn of the event loop are to be sent at its end. */
  private gathering = false;
  private readonly gathered = () => {
    this.gathering = false;
    this.drain();
  };

  constructor(options: CoalesceOptions<I, O>) {
    if (!(options.inFlight >= 1) || !(options.maxBatch >= 1)) throw new RangeError('inFlight and maxBatch must be at least 1');
    if (options.maxWaitMs !== undefined && !(options.maxWaitMs > 0)) throw new RangeError('maxWaitMs must be above 0');
    if (options.maxBytes !== undefined && (!(options.maxBytes > 0) || options.size === undefined)) {
      throw new RangeError('maxBytes must be above 0, with a size function');
    }
    this.options = options;
    this.now = options.now ?? (() => performance.now());
  }

  /** Batches out now (for tests and diagnostics). */
  get inFlight(): number {
    return this.out;
  }

  /** Calls waiting for a batch. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Send `item`, alone or with the calls waiting beside it; resolves with its own result, or rejects with its own failure. */
  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ item, since: this.now(), resolve, reject });
      if (!this.gathering) {
        this.gathering = true;
        setImmediate(this.gathered);
      }
    });
  }

  private drain(): void {
    if (this.out < this.options.inFlight) this.expire();
    while (this.out < this.options.inFlight && this.waiting.length > 0) {
      const taken = this.batchLength();
      const batch = taken === this.waiting.length ? this.waiting : this.waiting.slice(0, taken);
      this.waiting = batch === this.waiting ? [] : this.waiting.slice(taken);
      this.out++;
      void this.send(batch).finally(() => {
        this.out--;
        this.drain();
      });
    }
  }

  /** How many of the calls waiting the next batch takes: up to `maxBatch`, and `maxBytes` past the first. */
  private batchLength(): number {
    const { maxBatch, maxBytes, size } = this.options;
    const most = Math.min(maxBatch, this.waiting.length);
    if (maxBytes === undefined || size === undefined) return most;
    let bytes = size(this.waiting[0]!.item);
    let n = 1;
    while (n < most && (bytes += size(this.waiting[n]!.item)) <= maxBytes) n++;
    return n;
  }

  /** Fail the calls that waited past `maxWaitMs` (the oldest first in the queue). */
  private expire(): void {
    const { maxWaitMs } = this.options;
    if (maxWaitMs === undefined || this.waiting.length === 0 || this.now() - this.waiting[0]!.since <= maxWaitMs) return;
    const oldest = this.now() - maxWaitMs;
    const expired = this.waiting.findIndex((w) => w.since >= oldest);
    const late = expired === -1 ? this.waiting : this.waiting.slice(0, expired);
    this.waiting = expired === -1 ? [] : this.waiting.slice(expired);
    const error = new Error(`waited over ${maxWaitMs} ms for the storage to take the call`);
    for (const w of late) w.reject(error);
  }

  private async send(batch: readonly Waiting<I, O>[]): Promise<void> {
    if (batch.length === 1) return this.sendOne(batch[0]!);
    let results: readonly O[];
    try {
      results = await this.options.many(batch.map((w) => w.item));
    } catch (error) {
      if (this.options.isolate(error)) {
        await Promise.all(batch.map((w) => this.sendOne(w)));
        return;
      }
      for (const w of batch) w.reject(error);
      return;
    }
    if (results.length !== batch.length) {
      const error = new Error(`a batch of ${batch.length} answered ${results.length} results`);
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  private async sendOne(w: Waiting<I, O>): Promise<void> {
    try {
      w.resolve(await this.options.one(w.item));
    } catch (error) {
      w.reject(error);
    }
  }
}
