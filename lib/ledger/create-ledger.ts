import { randomUUID } from 'node:crypto';
import type { ErrorReport } from '../ntw-error';
import type { DeliveryMode } from '../shared/mode';
import type { Storage } from '../storage/storage';
import type { Telemetry } from '../telemetry/telemetry';
import { logger } from '../log';
import type { Logger } from '../log';
import { LedgerClient } from './client';
import { EntryCodec } from './entry-codec';
import { SecretBox } from './secret-box';
import type { EncryptionKey } from './secret-box';
import type { RenewalSchedule } from './lease-heartbeat';
import { HandlerRegistry } from './handlers';
import { Dedupe } from './dedupe';
import { ActiveRuns } from './active-runs';
import { InFlight } from './in-flight';
import { Retention } from './retention';
import { FleetRefusals } from './refusals';
import { withDeadline } from '../shared/deadline';
import type { Ledger } from './ledger';
import { LedgerWorker } from './worker';
import type { WorkerOptions } from './worker';

const log = logger('webhooks');

/** The receiver's options the ledger runs by (checked and defaulted in `options.ts`). */
export interface LedgerSettings {
  readonly storage: Storage;
  readonly mode: DeliveryMode;
  /** This instance's own clock. */
  readonly now: () => Date;
  readonly storageTimeoutMs: number;
  readonly clockSkewMs: number;
  readonly leaseMs: number;
  readonly handlerTimeoutMs: number;
  readonly renewalSchedule: RenewalSchedule | undefined;
  readonly cacheMax: number;
  readonly encryptionKey: EncryptionKey | readonly EncryptionKey[] | undefined;
  readonly retentionMs: number;
  readonly pruneIntervalMs: number | false;
  readonly inbox: WorkerOptions;
  readonly logger: Logger | undefined;
}

/** The ledger of one receiver, its pruning started; in inbox mode with its worker, which `startLedger` starts. */
export function createLedger(settings: LedgerSettings, hooks: { readonly telemetry: Telemetry; readonly reportError: (...report: ErrorReport) => void }): Ledger {
  const { telemetry, reportError } = hooks;
  const client = new LedgerClient({
    storage: settings.storage, storageTimeoutMs: settings.storageTimeoutMs, now: settings.now, clockSkewMs: settings.clockSkewMs, telemetry, reportError,
    logger: settings.logger,
  });
  const instance = randomUUID();
  let sequence = 0;
  const ledger: { -readonly [K in keyof Ledger]: Ledger[K] } = {
    client,
    handlers: new HandlerRegistry(),
    codec: new EntryCodec(settings.encryptionKey === undefined ? undefined : new SecretBox(settings.encryptionKey)),
    dedupe: new Dedupe(settings.cacheMax),
    runs: new ActiveRuns(),
    background: new InFlight(),
    retention: new Retention(client, settings.retentionMs, settings.logger),
    refusals: new FleetRefusals(client, undefined, settings.logger),
    telemetry,
    reportError,
    owner: () => `${instance}:${++sequence}`,
    leaseMs: settings.leaseMs,
    handlerTimeoutMs: settings.handlerTimeoutMs,
    renewalSchedule: settings.renewalSchedule,
    inbox: undefined,
    logger: settings.logger,
  };
  if (settings.mode === 'inbox') ledger.inbox = new LedgerWorker(ledger, settings.inbox);
  ledger.retention.every(settings.pruneIntervalMs);
  return ledger;
}

/**
 * Start running stored entries (inbox mode's worker): when the first endpoint is mounted, or on `ready()`. Like
 * deliveries, the worker must not run events before the handlers are registered, which happens before mounting.
 */
export function startLedger(ledger: Ledger): void {
  ledger.inbox?.start();
}

/**
 * Stop pruning and the worker, wait for the runs under way (deliveries' and stored entries'), then close the
 * storage: all within `timeoutMs`, whatever the handlers or the database do.
 */
export async function closeLedger(ledger: Ledger, timeoutMs: number): Promise<void> {
  ledger.retention.stop();
  const deadline = Date.now() + timeoutMs;
  const [drained, stopped] = await Promise.all([
    ledger.dedupe.drain(timeoutMs),
    ledger.inbox ? ledger.inbox.stop(timeoutMs) : ledger.background.drain(timeoutMs),
  ]);
  if (!drained || !stopped) log.warn({ durationMs: timeoutMs }, 'close: handlers still running after shutdownTimeoutMs; their leases will expire', ledger.logger);
  await withDeadline(ledger.refusals.stop().catch(() => undefined), Math.max(deadline - Date.now(), 1), () => undefined);
  const closed = await ledger.client.close(Math.max(deadline - Date.now(), 1));
  if (!closed) log.warn({ durationMs: timeoutMs }, 'close: the storage did not close within shutdownTimeoutMs', ledger.logger);
}
