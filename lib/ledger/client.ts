import { ConfigurationError, ReportedError } from '../errors';
import type { ReceiverErrorContext, StorageError } from '../errors';
import type { ErrorReport } from '../ntw-error';
import type { Awaitable, Storage } from '../storage/storage';
import type { Telemetry } from '../telemetry/telemetry';
import { withDeadline } from '../shared/deadline';
import { isThenable } from '../shared/thenable';
import { FleetClock } from './fleet-clock';
import { StorageFailures } from './storage-failures';
import { StorageTimeoutError, storageError } from './storage-error';
import type { Logger } from '../log';

export interface LedgerClientOptions {
  readonly storage: Storage;
  /** Longest wait for one storage call, in ms, whatever the adapter's own timeout. */
  readonly storageTimeoutMs: number;
  /** This instance's own clock. */
  readonly now: () => Date;
  /** How far this instance's clock may be off the storage's before it is reported (`ERR_NTW_CLOCK_SKEW`). */
  readonly clockSkewMs: number;
  /** Each call is a span and a timing of `ntw.storage.duration`. */
  readonly telemetry: Telemetry;
  readonly reportError: (...report: ErrorReport) => void;
  /** Where the clock's readings are logged. */
  readonly logger?: Logger | undefined;
}

/** The context of a report that concerns no one event: the storage's clock, pruning. */
const EVERY_PROVIDER: ReceiverErrorContext = { provider: '*' };

const NOTHING = () => undefined;


/**
 * The one way to the storage: every call of the receiver, a delivery's or the worker's, a public method's, the
 * console's or a probe's, goes through `call`, which applies in one place
 * - the lazy initialisation: the first call connects the storage (`init`) and reads its clock;
 * - the deadline: past `storageTimeoutMs` the call counts as failed (`ERR_NTW_STORAGE_TIMEOUT`), whatever the
 *   adapter's own timeout; the call itself is abandoned, not cancelled (leases make that safe);
 * - the telemetry span (`ntw.storage.<operation>`) and the `ntw.storage.duration` timing;
 * - the mapping of any failure to a `StorageError` naming the call and the storage;
 * - the report of a failure to `onError`, once, when the call is made with a `context` (a delivery's, the
 *   worker's, a timer's: no one else would hear of it); a call made for a caller hands its failure to that caller;
 * - the recent failures `health()` reports.
 */
export class LedgerClient {
  readonly storage: Storage;
  /** The fleet's clock: the storage's where it has one, read at initialisation and every minute after. */
  readonly clock: FleetClock;
  /** The delivery path's failed calls, which `health()` reports. */
  readonly failures: StorageFailures;
  private readonly timeoutMs: number;
  private readonly clockSkewMs: number;
  private readonly telemetry: Telemetry;
  private readonly reportError: (...report: ErrorReport) => void;
  private initializing: Promise<void> | undefined;
  private initializedNow = false;
  private closed = false;
  /** This instance's clock was found off the storage's, and reported: not again until it is back within bounds. */
  private skewed = false;

  constructor(options: LedgerClientOptions) {
    const { storage } = options;
    this.storage = storage;
    this.timeoutMs = options.storageTimeoutMs;
    this.clockSkewMs = options.clockSkewMs;
    this.telemetry = options.telemetry;
    this.reportError = options.reportError;
    this.clock = new FleetClock(options.now, storage.clock ? () => storage.clock!() : undefined, options.logger);
    this.failures = new StorageFailures(() => this.clock.now());
  }

  /** Whether the storage is initialized: calls then go straight to it. */
  get initialized(): boolean {
    return this.initializedNow;
  }

  /**
   * Initialize the storage, once (again after a failure), and read its clock. Not bounded here: a call waits for it
   * within its own deadline. A refusal of the data found (a schema too new, Redis' eviction policy) keeps its own
   * `ConfigurationError`; any other failure is a `StorageError` of `init`.
   */
  initialize(): Promise<void> {
    this.initializing ??= Promise.resolve().then(() => this.storage.init?.()).then(() => this.readClock()).then(() => {
      this.initializedNow = true;
      if (!this.closed) this.clock.every(() => { this.call('clock', () => this.readClock(), EVERY_PROVIDER).catch(() => undefined); });
    }, (error: unknown) => {
      this.initializing = undefined; // tried again by the next call
      throw error instanceof ConfigurationError ? error : storageError('init', error, this.storage);
    });
    return this.initializing;
  }

  /** `initialize()` as a call, within the deadline: the first delivery's, which is dated by the storage's clock once it is read. */
  init(context: ReceiverErrorContext): Promise<void> {
    return this.call('init', NOTHING, context);
  }

  /**
   * `call` on the storage, as the class says. Rejects with a `StorageError`; with `context`, its failure is also
   * reported to `onError`.
   */
  call<T>(operation: string, call: () => Awaitable<T>, context?: ReceiverErrorContext): Promise<T> {
    if (!this.telemetry.observing) return this.bounded(operation, call, context);
    return this.telemetry.storageCall(operation, () => this.bounded(operation, call, context));
  }

  /**
   * `call`, answered at once when the storage answers at once (an in-process store, initialized, with no telemetry
   * recording): the value itself rather than a promise of it, a failure thrown as a `StorageError` (reported as
   * `call` reports it). Otherwise what `call` answers. For the delivery path, which goes on without a turn of the
   * event loop when it can.
   */
  callNow<T>(operation: string, call: () => Awaitable<T>, context?: ReceiverErrorContext): T | Promise<T> {
    if (!this.initializedNow || this.telemetry.observing) return this.call(operation, call, context);
    let result: Awaitable<T>;
    try {
      result = call();
    } catch (error) {
      throw this.failed(operation, error, context);
    }
    if (!isThenable(result)) {
      this.failures.succeeded(operation, result);
      return result;
    }
    return this.awaited(operation, result, context);
  }

  private bounded<T>(operation: string, call: () => Awaitable<T>, context: ReceiverErrorContext | undefined): Promise<T> {
    let result: Awaitable<T>;
    try {
      result = this.initializedNow ? call() : this.initialize().then(call);
    } catch (error) {
      return Promise.reject(this.failed(operation, error, context));
    }
    // An in-process store answers at once: there is nothing to wait for, so no deadline to keep.
    if (!isThenable(result)) {
      this.failures.succeeded(operation, result);
      return Promise.resolve(result);
    }
    return this.awaited(operation, result, context);
  }

  /** A call's answer under way, within the deadline. */
  private awaited<T>(operation: string, result: Promise<T>, context: ReceiverErrorContext | undefined): Promise<T> {
    return withDeadline(Promise.resolve(result), this.timeoutMs, () => new StorageTimeoutError(operation, this.timeoutMs, this.storage)).then((value) => {
      this.failures.succeeded(operation, value);
      return value;
    }, (error: unknown) => {
      throw this.failed(operation, error, context);
    });
  }

  private failed(operation: string, error: unknown, context: ReceiverErrorContext | undefined): StorageError {
    const failure = storageError(operation, error, this.storage);
    this.failures.failed(operation, failure);
    if (context) this.reportError(failure, context);
    return failure;
  }

  /** Read the storage's clock; an instance whose own clock is far off it is told once (it still runs on the storage's). */
  private async readClock(): Promise<void> {
    await this.clock.sync();
    const offset = this.clock.offsetMs();
    if (Math.abs(offset) <= this.clockSkewMs) this.skewed = false;
    else if (!this.skewed) {
      this.skewed = true;
      this.reportError(new ReportedError('ERR_NTW_CLOCK_SKEW', `this instance's clock is ${Math.round(Math.abs(offset) / 1000)} s ${offset > 0 ? 'behind' : 'ahead of'} `
        + `the storage's, more than clockSkewMs: times are taken from the storage's clock, but fix the instance's time service`), EVERY_PROVIDER);
    }
  }

  /**
   * Stop reading the clock, then close the storage, within `timeoutMs` whatever the database does (an init still
   * connecting to a silent one included). Answers whether the storage closed in time.
   */
  async close(timeoutMs: number): Promise<boolean> {
    this.closed = true;
    this.clock.stop();
    const deadline = Date.now() + timeoutMs;
    const remaining = () => Math.max(deadline - Date.now(), 1);
    if (this.initializing) await withDeadline(this.initializing.catch(() => undefined), remaining(), () => undefined);
    return withDeadline(Promise.resolve(this.storage.close?.()).then(() => true), remaining(), () => false).catch(() => true);
  }
}
