import type { Admission } from '../storage/storage';
import { describeError } from '../shared/describe-error';
import { StorageError } from '../errors';

/**
 * How long a delivery's failed storage call keeps `health()` from answering ok, unless a delivery is recorded
 * since: long enough for a readiness probe polled every few seconds to see it, short enough that a receiver the
 * load balancer stopped sending to (so that nothing is recorded) is tried again within half a minute.
 */
export const STORAGE_FAILURE_WINDOW_MS = 30_000;

/** The last storage call of a delivery that failed, as `health()` reports it. */
export interface StorageFailure {
  readonly code: StorageError['code'];
  /** The call: `admit`, `lease`, `settle`. */
  readonly operation: string;
  readonly at: Date;
  /** The `StorageError` message. */
  readonly error: string;
}

/** The calls a delivery (or the worker's run) makes: a failure of another (a read, a prune) says nothing of whether one can be recorded. */
const DELIVERY_CALLS: ReadonlySet<string> = new Set(['init', 'admit', 'lease', 'settle']);

/** Whether a call's answer shows a delivery's write recorded: an entry stored or taken, a run settled. */
function recorded(operation: string, value: unknown): boolean {
  if (operation === 'admit') return (value as Admission).admitted;
  if (operation === 'settle') return value === true;
  return operation === 'lease' && value !== undefined;
}

/**
 * The delivery path's storage failures, for `health()`: a write that fails only at commit (a full disk) passes a
 * probe that rolls back, so the deliveries' own failures must count too. Judged by the receiver's clock (`now`).
 */
export class StorageFailures {
  private last: StorageFailure | undefined;

  constructor(private readonly now: () => Date) {}

  failed(operation: string, error: unknown): void {
    if (!DELIVERY_CALLS.has(operation)) return;
    const code = error instanceof StorageError ? error.code : 'ERR_NTW_STORAGE_UNAVAILABLE';
    this.last = { code, operation, at: this.now(), error: describeError(error) };
  }

  /** After each call that succeeded: costs a field read unless a failure is on record. */
  succeeded(operation: string, value: unknown): void {
    if (this.last !== undefined && recorded(operation, value)) this.last = undefined;
  }

  /** The last failure, when it is under `STORAGE_FAILURE_WINDOW_MS` old and no delivery was recorded since. */
  recent(): StorageFailure | undefined {
    const last = this.last;
    return last && this.now().getTime() - last.at.getTime() < STORAGE_FAILURE_WINDOW_MS ? last : undefined;
  }
}
