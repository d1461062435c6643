import type { TokenEvent } from '../events';
import { ReportedError, WebhookError } from '../errors';
import type { ReceiverErrorContext } from '../errors';
import type { Entry, EventKey, Settlement } from '../storage/storage';
import { withDeadline } from '../shared/deadline';
import { describeError } from '../shared/describe-error';
import { logger } from '../log';
import { startLeaseHeartbeat } from './lease-heartbeat';
import type { LeaseHeartbeat, LeaseHeartbeatOptions, RenewalSchedule } from './lease-heartbeat';
import type { Logger } from '../log';
import { isThenable } from '../shared/thenable';
import type { Ledger } from './ledger';
import { ActiveRun } from './active-runs';
import { eventForHandlers } from './event-for-handlers';
import type { UnprojectedEvent } from './event-for-handlers';
import { settle, settleNow } from './settle';
import type { SettleFn } from './settle';

const log = logger('run');

/** What to record when a run's handlers fail: sync mode leaves it to the provider's retry, inbox mode backs off. */
export type FailurePolicy = (reason: string, attempts: number) => Settlement;

/** Sync mode: a failed run waits for the provider's retry (or a replay), which takes the entry again at once. */
export const awaitProviderRetry: FailurePolicy = (error) => ({ status: 'failed', error, retryInMs: 0 });

export interface TakenEntry {
  readonly event: UnprojectedEvent;
  /** The entry as the ledger gave it: taken (its state applied, `projection` set), with its attempts. */
  readonly entry: Entry;
  /** The entry's lease owner. */
  readonly owner: string;
  /** When the call that took it was sent, by `performance.now()`: its lease lasts `leaseMs` from then at least. */
  readonly takenAt: number;
  /** Called once the handlers returned, threw or were abandoned, before the outcome is stored (the worker frees a slot then). */
  readonly handled?: () => void;
  /** How the completion is stored: `settle` unless given (the worker batches its runs' completions). */
  readonly complete?: SettleFn;
}

/**
 * Run one entry the ledger gave us (taken by a delivery, or leased by the worker): stale or repeated → run handlers
 * (the lease renewed meanwhile) → complete. A handler failure, or handlers
 * past `handlerTimeoutMs` (then abandoned), is recorded by `onFailure` and thrown as `handler_failed`. When
 * completion cannot be stored, the run is marked failed if the storage allows, so the next copy runs it again,
 * else its lease is left to expire; either way it throws the `StorageError`.
 *
 * Handlers that return at once and an in-process store make a run that ends at once: the event itself is answered,
 * not a promise of it, with no heartbeat and no timer (nothing else can run meanwhile, so no lease needs renewing
 * and no deadline can pass). Handlers still running start the heartbeat and the handlers' deadline.
 */
export function runEntry(ledger: Ledger, taken: TakenEntry, onFailure: FailurePolicy): TokenEvent | Promise<TokenEvent> {
  const run = new EntryRun(ledger, taken);
  let pending: Promise<void> | undefined;
  try {
    pending = ledger.telemetry.observing
      ? ledger.telemetry.handlers(taken.entry, () => ledger.handlers.run(run.event, run.active.context) ?? Promise.resolve())
      : ledger.handlers.run(run.event, run.active.context);
  } catch (error) {
    return failed(run, error, undefined, onFailure);
  }
  return pending ? awaitHandlers(run, pending, onFailure) : completed(run);
}

/** One run of an entry: the event as its handlers see it, its key, and its place among the runs of this process. */
class EntryRun {
  readonly event: TokenEvent;
  readonly key: EventKey;
  readonly context: { readonly provider: string; readonly eventId: string };
  readonly active: ActiveRun;
  /**
   * Whether the run is among the runs of this process (`Ledger.runs`), and renews its lease: once its handlers did
   * not return at once. A run that ends at once is over before anything else could look for it.
   */
  registered = false;
  heartbeat: LeaseHeartbeat | undefined;

  constructor(readonly ledger: Ledger, readonly taken: TakenEntry) {
    this.event = eventForHandlers(taken.event, taken.entry);
    this.key = { provider: this.event.provider, id: this.event.id };
    this.context = { provider: this.key.provider, eventId: this.key.id };
    this.active = new ActiveRun(taken.owner, taken.entry.attempts);
  }

  /** The run is among those of this process now, its lease renewed while its handlers run. */
  register(): void {
    this.registered = true;
    this.ledger.runs.add(this.key, this.active);
    this.heartbeat = startLeaseHeartbeat(new RunLease(this));
    this.active.heartbeat = this.heartbeat;
  }

  /** The run is over: no longer among those of this process. */
  end(): void {
    if (this.registered) this.ledger.runs.end(this.key, this.active);
  }

  /** What the log names the run by. */
  get label(): string {
    return `${this.key.provider} ${this.key.id}`;
  }
}

/**
 * The lease of a run whose handlers are still running, as its heartbeat renews it (`LeaseHeartbeatOptions`): a
 * renewal that fails is reported by the client, as every failed storage call is, and tried again while the lease lasts.
 */
class RunLease implements LeaseHeartbeatOptions {
  readonly leaseMs: number;
  readonly key: EventKey;
  readonly logger: Logger | undefined;
  readonly takenAt: number;
  readonly schedule: RenewalSchedule | undefined;

  constructor(private readonly run: EntryRun) {
    const { ledger } = run;
    this.leaseMs = ledger.leaseMs;
    this.key = run.key;
    this.logger = ledger.logger;
    this.takenAt = run.taken.takenAt;
    this.schedule = ledger.renewalSchedule;
  }

  get label(): string {
    return this.run.label;
  }

  renew(): Promise<boolean> {
    return renew(this.run.ledger, this.key, this.run.active, this.run.context);
  }

  lost(why: string, cause?: unknown): void {
    const { ledger, active, context } = this.run;
    const error = new ReportedError('ERR_NTW_LEASE_LOST',
      `lease of ${this.label} was lost while its handlers ran: ${why}. Another instance may run it; the handlers' signal was aborted`,
      cause === undefined ? {} : { cause });
    active.abort(error);
    ledger.telemetry.leaseLost(this.key.provider);
    ledger.reportError(error, context);
  }
}

/** Handlers still running: the lease renewed until they settle, within `handlerTimeoutMs`. */
async function awaitHandlers(run: EntryRun, handlers: Promise<void>, onFailure: FailurePolicy): Promise<TokenEvent> {
  const { ledger } = run;
  run.register();
  let timedOut: ReportedError | undefined;
  try {
    await withDeadline(handlers, ledger.handlerTimeoutMs, () => (timedOut = handlerTimeout(run.label, ledger.handlerTimeoutMs)), true);
  } catch (error) {
    return failed(run, error, timedOut && { error: timedOut, handlers }, onFailure);
  }
  return completed(run);
}

/**
 * The handlers failed (or passed their deadline: `timedOut`, the handlers then abandoned): the failure recorded as
 * `onFailure` says, then thrown as `handler_failed`.
 */
async function failed(run: EntryRun, error: unknown, timedOut: { error: ReportedError; handlers: Promise<void> } | undefined, onFailure: FailurePolicy): Promise<never> {
  const { ledger, key, context, active } = run;
  run.taken.handled?.();
  run.heartbeat?.stop();
  if (timedOut) {
    active.abort(timedOut.error);
    ledger.runs.abandon(key, active, timedOut.handlers);
  }
  ledger.reportError(error, { ...context, event: run.event });
  const settlement = onFailure(describeError(error), active.attempt);
  log.warn({ ...context, attempt: active.attempt, entryStatus: settlement.status, code: timedOut ? timedOut.error.code : 'handler_failed' },
    settlement.status === 'dead' ? 'run failed: a dead letter now' : 'run failed', ledger.logger);
  await settle(ledger.client, key, active.owner, settlement, context).catch(() => undefined);
  run.end();
  throw new WebhookError('handler_failed', { cause: error });
}

/**
 * The handlers completed: the completion stored. The lease outlasts the settle: renewed on time, it has a third of
 * leaseMs left at least, and so at least storageTimeoutMs (leaseMs ≥ 3 × storageTimeoutMs), the settle's deadline.
 */
function completed(run: EntryRun): TokenEvent | Promise<TokenEvent> {
  const { ledger, key, context, active } = run;
  run.taken.handled?.();
  run.heartbeat?.stop();
  let stored: boolean | Promise<boolean>;
  try {
    stored = run.taken.complete ? run.taken.complete(key, active.owner, DONE, context) : settleNow(ledger.client, key, active.owner, DONE, context);
  } catch (error) {
    return unstored(run, error);
  }
  return isThenable(stored) ? stored.then(() => finished(run), (error: unknown) => unstored(run, error)) : finished(run);
}

function finished(run: EntryRun): TokenEvent {
  run.end();
  run.ledger.dedupe.finish(run.key, run.taken.entry.fingerprint);
  return run.event;
}

/** The completion could not be stored: the run marked failed if the storage allows, so the next copy runs it again. */
async function unstored(run: EntryRun, error: unknown): Promise<never> {
  const { ledger, key, context, active } = run;
  try {
    await settle(ledger.client, key, active.owner, UNSTORED, context).catch(() => undefined);
  } finally {
    run.end();
  }
  throw error;
}

const DONE: Settlement = { status: 'done' };
const UNSTORED: Settlement = { status: 'failed', error: 'its completion could not be stored', retryInMs: 0 };

/** Renew `run`'s lease as its owner now: a lease taken again for the run meanwhile (a new owner) is renewed already. */
async function renew(ledger: Ledger, key: EventKey, run: ActiveRun, context: ReceiverErrorContext): Promise<boolean> {
  const owner = run.owner;
  const { client } = ledger;
  const ours = await client.call('extend', () => client.storage.extend(key, owner, ledger.leaseMs), context);
  return ours || run.owner !== owner;
}

function handlerTimeout(label: string, ms: number): ReportedError {
  return new ReportedError('ERR_NTW_HANDLER_TIMEOUT', `the handlers of ${label} ran past handlerTimeoutMs (${ms} ms): the run counts as failed `
    + 'and the event will run again; the handlers were abandoned, not stopped (their signal was aborted)');
}
