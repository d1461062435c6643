import type { TokenEvent, UnprojectedEvent } from '../events';
import { WebhookError } from '../errors';
import type { Entry, EventKey, Settlement } from '../storage/storage';
import { boundedStorageCall, storageCall } from '../delivery/storage-call';
import { startLeaseHeartbeat } from '../delivery/lease-heartbeat';
import { describeError } from '../delivery/describe-error';
import { logger } from '../log';
import type { DeliveryCore } from './core';
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
}

/**
 * Run one entry the ledger gave us (taken by a delivery, or leased by the worker): project → run handlers
 * (the lease renewed meanwhile) → complete. A handler failure is recorded by `onFailure` and thrown as
 * `handler_failed`. When completion cannot be stored, the run is marked failed if the storage allows, so the
 * next copy runs it again, else its lease is left to expire; either way it is `storage_unavailable`.
 */
export async function runEntry(core: DeliveryCore, taken: TakenEntry, onFailure: FailurePolicy): Promise<TokenEvent> {
  const event = project(taken.event, taken.entry);
  const key: EventKey = { provider: event.provider, id: event.id };
  const context = { provider: key.provider, eventId: key.id };
  const stopRenewal = startLeaseHeartbeat({
    leaseMs: core.leaseMs,
    label: `${key.provider} ${key.id}`,
    // Reported once by `lost`, as a StorageError, when it fails or passes storageTimeoutMs.
    renew: () => boundedStorageCall(core.storageTimeoutMs, 'extend', () => core.storage.extend(key, taken.owner, core.leaseMs), core.storage),
    lost: (error) => {
      core.telemetry.leaseLost(key.provider);
      core.reportError(error, context);
    },
    ...(core.renewalSchedule ? { schedule: core.renewalSchedule } : {}),
  });
  try {
    await core.telemetry.handlers(taken.entry, () => core.handlers.run(event));
  } catch (error) {
    stopRenewal();
    core.reportError(error, { ...context, event });
    const settlement = onFailure(describeError(error), taken.entry.attempts);
    log('%s %s attempt %d failed: %s', key.provider, key.id, taken.entry.attempts, settlement.status);
    await storageCall(core, 'settle', context, () => core.storage.settle(key, taken.owner, settlement)).catch(() => undefined);
    throw new WebhookError('handler_failed', { cause: error });
  } finally {
    stopRenewal();
  }
  try {
    await storageCall(core, 'settle', context, () => core.storage.settle(key, taken.owner, { status: 'done' }));
  } catch (error) {
    const settlement: Settlement = { status: 'failed', error: 'its completion could not be stored', retryInMs: 0 };
    await storageCall(core, 'settle', context, () => core.storage.settle(key, taken.owner, settlement)).catch(() => undefined);
    throw error;
  }
  core.dedupe.finish(key, taken.entry.fingerprint);
  return event;
}
