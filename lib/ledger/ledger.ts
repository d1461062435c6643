import type { ErrorReport } from '../ntw-error';
import type { Telemetry } from '../telemetry/telemetry';
import type { LedgerClient } from './client';
import type { EntryCodec } from './entry-codec';
import type { RenewalSchedule } from './lease-heartbeat';
import type { HandlerRegistry } from './handlers';
import type { Dedupe } from './dedupe';
import type { ActiveRuns } from './active-runs';
import type { InFlight } from './in-flight';
import type { Retention } from './retention';
import type { Logger } from '../log';
import type { FleetRefusals } from './refusals';

/** Runs stored entries in the background (inbox mode): woken when a delivery queued one. */
export interface Inbox {
  /** Start polling; no-op once started or stopped. */
  start(): void;
  /** Look for due entries now. */
  wake(): void;
  /** Run every entry due now until none is left; answers how many ran. */
  runDue(): Promise<number>;
  /** Stop leasing and wait for the runs under way, up to `timeoutMs`: `true` when all settled. */
  stop(timeoutMs: number): Promise<boolean>;
}

/**
 * The ledger of one receiver, as its parts share it: the storage (through its one client), the handlers, and
 * the runs of this process. The pipeline hands it events; nothing in here knows of a request or a provider.
 */
export interface Ledger {
  readonly client: LedgerClient;
  readonly handlers: HandlerRegistry;
  readonly codec: EntryCodec;
  readonly dedupe: Dedupe;
  /** The entries this process runs now, whoever took them: one taken again is kept by its run, not run twice. */
  readonly runs: ActiveRuns;
  /** Runs of stored entries under way outside a delivery (the worker's, sync-mode replays'). */
  readonly background: InFlight;
  readonly retention: Retention;
  /** Refused deliveries, added to the storage's counts for the whole fleet. */
  readonly refusals: FleetRefusals;
  readonly telemetry: Telemetry;
  readonly reportError: (...report: ErrorReport) => void;
  /** A new lease owner id, unique across instances. */
  readonly owner: () => string;
  readonly leaseMs: number;
  /** How long handlers may run before their run counts as failed and they are abandoned. */
  readonly handlerTimeoutMs: number;
  readonly renewalSchedule: RenewalSchedule | undefined;
  /** Inbox mode: deliveries are queued and this worker runs them. Absent in sync mode, where nothing polls. */
  readonly inbox: Inbox | undefined;
  /** Where the ledger's log records go (the `logger` option); `debug` without one. */
  readonly logger: Logger | undefined;
}
