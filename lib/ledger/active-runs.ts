import type { EventKey } from '../storage/storage';
import type { LeaseHeartbeat } from './lease-heartbeat';
import type { HandlerContext } from './handlers';

const runKey = (key: EventKey) => `${key.provider}\u0000${key.id}`;

/** One entry this process took (a delivery in sync mode, the worker, a replay) and runs now: its lease, and its handlers' signal. */
export class ActiveRun {
  /** What the handlers are given besides the event. */
  readonly context: HandlerContext;
  heartbeat: LeaseHeartbeat | undefined;
  private controller: AbortController | undefined;
  private reason: Error | undefined;

  /**
   * @param owner the lease owner its renewals and settlement use: a new one when the entry is taken again for this run
   * @param attempt the entry's `attempts` as last taken
   */
  constructor(public owner: string, public attempt: number) {
    this.context = new RunContext(this, attempt);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Tell the handlers to stop (once): `reason` is the signal's `reason`. */
  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
  }

  /** The storage gave this run's entry again to this process, as `owner`, with the call sent at `at` (monotonic): keep it. */
  retake(owner: string, attempt: number, at: number): void {
    this.owner = owner;
    this.attempt = attempt;
    this.heartbeat?.retaken(at);
  }
}

/** What a run's handlers are given: its signal, made when a handler first reads it (most never do, and an AbortController is not free). */
class RunContext implements HandlerContext {
  readonly #run: ActiveRun;

  constructor(run: ActiveRun, readonly attempt: number) {
    this.#run = run;
  }

  get signal(): AbortSignal {
    return this.#run.signal;
  }
}

/** What `health()` says of the runs of this process. */
export interface RunsReport {
  /** Entries whose handlers run now. */
  readonly running: number;
  /** Handlers that passed `handlerTimeoutMs` and have not returned: their runs were failed and their slots freed. */
  readonly abandoned: number;
  /** As many handlers abandoned as the worker has slots: whatever hangs them likely hangs the next ones too. */
  readonly stalled: boolean;
}

/**
 * The runs this process has in flight, by event, whoever took the entry. The storage may give an entry that one of
 * them runs to this process again (its lease looked expired there: a stepped wall clock); the running run then
 * keeps the new lease instead of a second run starting, so one process never runs one event twice at once.
 */
export class ActiveRuns {
  private readonly runs = new Map<string, ActiveRun>();
  private abandonedCount = 0;

  start(key: EventKey, owner: string, attempt: number): ActiveRun {
    const run = new ActiveRun(owner, attempt);
    this.add(key, run);
    return run;
  }

  /** `run`, made before, runs `key` now (a run whose handlers turned out to take a while). */
  add(key: EventKey, run: ActiveRun): void {
    this.runs.set(runKey(key), run);
  }

  /** If this process runs `key` now, that run keeps the lease just taken for it (sent at `at`, monotonic): answers whether it did. */
  retake(key: EventKey, owner: string, attempt: number, at: number): boolean {
    const run = this.runs.get(runKey(key));
    run?.retake(owner, attempt, at);
    return run !== undefined;
  }

  end(key: EventKey, run: ActiveRun): void {
    const k = runKey(key);
    if (this.runs.get(k) === run) this.runs.delete(k);
  }

  /** The run ended without its handlers, which passed their timeout: counted until `handlers` settles. */
  abandon(key: EventKey, run: ActiveRun, handlers: Promise<unknown>): void {
    this.end(key, run);
    this.abandonedCount++;
    void handlers.then(() => { this.abandonedCount--; }, () => { this.abandonedCount--; });
  }

  /** `slots`: the runs the worker takes at once (`inbox.concurrency`). */
  report(slots: number): RunsReport {
    return { running: this.runs.size, abandoned: this.abandonedCount, stalled: this.abandonedCount >= slots };
  }
}
