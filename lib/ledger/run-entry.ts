import type { TokenEvent } from '../events';
import { ReportedError, WebhookError } from '../errors';
import type { ReceiverErrorContext } from '../errors';
import type { Entry, EventKey, Settlement } from '../storage/storage';
import { withDeadline } from '../shared/deadline';
import { describeError } from '../shared/describe-error';
import { logger } from '../log';
import { startLeaseHeartbeat } from './lease-heartbeat';
import type { Ledger } from './ledger';
import type { ActiveRun } from './active-runs';
import { eventForHandlers } from './event-for-handlers';
import type { UnprojectedEvent } from './event-for-handlers';
import { settle } from './settle';
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
 */
export async function runEntry(ledger: Ledger, taken: TakenEntry, onFailure: FailurePolicy): Promise<TokenEvent> {
  const event = eventForHandlers(taken.event, taken.entry);
  const key: EventKey = { provider: event.provider, id: event.id };
  const context = { provider: key.provider, eventId: key.id };
  const label = `${key.provider} ${key.id}`;
  const run = ledger.runs.start(key, taken.owner, taken.entry.attempts);
  // A renewal that fails is reported by the client, as every failed storage call is, and tried again while the lease lasts.
  const heartbeat = startLeaseHeartbeat({
    leaseMs: ledger.leaseMs,
    label,
    key,
    logger: ledger.logger,
    takenAt: taken.takenAt,
    renew: () => renew(ledger, key, run, context),
    lost: (why, cause) => {
      const error = new ReportedError('ERR_NTW_LEASE_LOST',
        `lease of ${label} was lost while its handlers ran: ${why}. Another instance may run it; the handlers' signal was aborted`,
        cause === undefined ? {} : { cause });
      run.abort(error);
      ledger.telemetry.leaseLost(key.provider);
      ledger.reportError(error, context);
    },
    ...(ledger.renewalSchedule ? { schedule: ledger.renewalSchedule } : {}),
  });
  run.heartbeat = heartbeat;
  const handlers = ledger.telemetry.handlers(taken.entry, () => ledger.handlers.run(event, run.context));
  let timedOut: ReportedError | undefined;
  let failure: { error: unknown } | undefined;
  try {
    await withDeadline(handlers, ledger.handlerTimeoutMs, () => (timedOut = handlerTimeout(label, ledger.handlerTimeoutMs)), true);
  } catch (error) {
    failure = { error };
  }
  taken.handled?.();
  // The lease outlasts the settle: renewed on time, it has a third of leaseMs left at least, and so at least
  // storageTimeoutMs (leaseMs ≥ 3 × storageTimeoutMs), the settle's deadline. (A completion in the worker's batch may
  // first wait for the call before it: `done` is recorded whoever holds the lease by then.)
  heartbeat.stop();
  const { client } = ledger;
  if (failure) {
    const { error } = failure;
    if (timedOut) {
      run.abort(timedOut);
      ledger.runs.abandon(key, run, handlers);
    }
    ledger.reportError(error, { ...context, event });
    const settlement = onFailure(describeError(error), run.attempt);
    log.warn({ ...context, attempt: run.attempt, entryStatus: settlement.status, code: timedOut ? timedOut.code : 'handler_failed' },
      settlement.status === 'dead' ? 'run failed: a dead letter now' : 'run failed', ledger.logger);
    await settle(client, key, run.owner, settlement, context).catch(() => undefined);
    ledger.runs.end(key, run);
    throw new WebhookError('handler_failed', { cause: error });
  }
  try {
    await (taken.complete ? taken.complete(key, run.owner, DONE, context) : settle(client, key, run.owner, DONE, context));
  } catch (error) {
    await settle(client, key, run.owner, UNSTORED, context).catch(() => undefined);
    throw error;
  } finally {
    ledger.runs.end(key, run);
  }
  ledger.dedupe.finish(key, taken.entry.fingerprint);
  return event;
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
