import type { TokenEvent, UnprojectedEvent } from '../events';
import { ReportedError, WebhookError } from '../errors';
import type { Entry, EventKey, Settlement } from '../storage/storage';
import { boundedStorageCall, storageCall, storageError } from '../delivery/storage-call';
import { startLeaseHeartbeat } from '../delivery/lease-heartbeat';
import { withDeadline } from '../delivery/deadline';
import { describeError } from '../delivery/describe-error';
import { logger } from '../log';
import type { DeliveryCore } from './core';
import type { ActiveRun } from './active-runs';
import { project } from './project';

const log = logger('run');

/** What to record when a run's handlers fail: sync mode leaves it to the provider's retry, inbox mode backs off. */
export type FailurePolicy = (reason: string, attempts: number) => Settlement;

export interface TakenEntry {
  readonly event: UnprojectedEvent;
  /** The entry as the ledger gave it: taken (its state applied, `projection` set), with its attempts. */
  readonly entry: Entry;
  /** The entry's lease owner. */
  readonly owner: string;
  /** When the call that took it was sent, by `performance.now()`: its lease lasts `leaseMs` from then at least. */
  readonly takenAt: number;
}

/**
 * Run one entry the ledger gave us (taken by a delivery, or leased by the worker): project → run handlers
 * (the lease renewed meanwhile) → complete. A handler failure, or handlers
 * past `handlerTimeoutMs` (then abandoned), is recorded by `onFailure` and thrown as `handler_failed`. When
 * completion cannot be stored, the run is marked failed if the storage allows, so the next copy runs it again,
 * else its lease is left to expire; either way it is `storage_unavailable`.
 */
export async function runEntry(core: DeliveryCore, taken: TakenEntry, onFailure: FailurePolicy): Promise<TokenEvent> {
  const event = project(taken.event, taken.entry);
  const key: EventKey = { provider: event.provider, id: event.id };
  const context = { provider: key.provider, eventId: key.id };
  const label = `${key.provider} ${key.id}`;
  const run = core.runs.start(key, taken.owner, taken.entry.attempts);
  const heartbeat = startLeaseHeartbeat({
    leaseMs: core.leaseMs,
    label,
    takenAt: taken.takenAt,
    renew: () => renew(core, key, run),
    // A StorageError, reported as every failed storage call is; the renewal is tried again while the lease lasts.
    failed: (error) => core.reportError(storageError('extend', error, core.storage), context),
    lost: (why, cause) => {
      const error = new ReportedError('ERR_NTW_LEASE_LOST',
        `lease of ${label} was lost while its handlers ran: ${why}. Another instance may run it; the handlers' signal was aborted`,
        cause === undefined ? {} : { cause });
      run.abort(error);
      core.telemetry.leaseLost(key.provider);
      core.reportError(error, context);
    },
    ...(core.renewalSchedule ? { schedule: core.renewalSchedule } : {}),
  });
  run.heartbeat = heartbeat;
  const handlers = core.telemetry.handlers(taken.entry, () => core.handlers.run(event, run.context));
  let timedOut: ReportedError | undefined;
  let failure: { error: unknown } | undefined;
  try {
    await withDeadline(handlers, core.handlerTimeoutMs, () => (timedOut = handlerTimeout(label, core.handlerTimeoutMs)), true);
  } catch (error) {
    failure = { error };
  }
  // The lease outlasts the settle: renewed on time, it has a third of leaseMs left at least, and so at least
  // storageTimeoutMs (leaseMs ≥ 3 × storageTimeoutMs), the settle's deadline.
  heartbeat.stop();
  if (failure) {
    const { error } = failure;
    if (timedOut) {
      run.abort(timedOut);
      core.runs.abandon(key, run, handlers);
    }
    core.reportError(error, { ...context, event });
    const settlement = onFailure(describeError(error), run.attempt);
    log('%s attempt %d failed: %s', label, run.attempt, settlement.status);
    await storageCall(core, 'settle', context, () => core.storage.settle(key, run.owner, settlement)).catch(() => undefined);
    core.runs.end(key, run);
    throw new WebhookError('handler_failed', { cause: error });
  }
  try {
    await storageCall(core, 'settle', context, () => core.storage.settle(key, run.owner, { status: 'done' }));
  } catch (error) {
    const settlement: Settlement = { status: 'failed', error: 'its completion could not be stored', retryInMs: 0 };
    await storageCall(core, 'settle', context, () => core.storage.settle(key, run.owner, settlement)).catch(() => undefined);
    throw error;
  } finally {
    core.runs.end(key, run);
  }
  core.dedupe.finish(key, taken.entry.fingerprint);
  return event;
}

/** Renew `run`'s lease as its owner now: a lease taken again for the run meanwhile (a new owner) is renewed already. */
async function renew(core: DeliveryCore, key: EventKey, run: ActiveRun): Promise<boolean> {
  const owner = run.owner;
  const ours = await boundedStorageCall(core.storageTimeoutMs, 'extend', () => core.storage.extend(key, owner, core.leaseMs), core.storage);
  return ours || run.owner !== owner;
}

function handlerTimeout(label: string, ms: number): ReportedError {
  return new ReportedError('ERR_NTW_HANDLER_TIMEOUT', `the handlers of ${label} ran past handlerTimeoutMs (${ms} ms): the run counts as failed `
    + 'and the event will run again; the handlers were abandoned, not stopped (their signal was aborted)');
}
