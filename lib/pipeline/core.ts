import type { ErrorReport } from '../ntw-error';
import type { Storage } from '../storage/storage';
import type { EntryCodec } from '../delivery/entry-codec';
import type { RenewalSchedule } from '../delivery/lease-heartbeat';
import type { HandlerRegistry } from './run-handlers';
import type { Dedupe } from './dedupe';
import type { ActiveRuns } from './active-runs';
import type { Telemetry } from '../telemetry/telemetry';
import type { Refusal } from '../telemetry/refusal';
import type { StorageFailures } from '../delivery/storage-failures';

/** Runs queued entries in the background (inbox mode); woken when a delivery queued one. */
export interface Wakeable {
  wake(): void;
}

/** What every endpoint shares: the ledger, the handlers and the settings of one `createTokenWebhooks`. */
export interface DeliveryCore {
  readonly storage: Storage;
  readonly handlers: HandlerRegistry;
  readonly codec: EntryCodec;
  readonly dedupe: Dedupe;
  /** The entries this process runs now, whoever took them: one taken again is kept by its run, not run twice. */
  readonly runs: ActiveRuns;
  readonly now: () => Date;
  /** A new lease owner id, unique across instances. */
  readonly owner: () => string;
  readonly leaseMs: number;
  readonly storageTimeoutMs: number;
  /** How long a delivery may take before it is answered retry-later (`timeout`) while its work goes on. */
  readonly deadlineMs: number;
  /** How long handlers may run before their run counts as failed and they are abandoned. */
  readonly handlerTimeoutMs: number;
  readonly renewalSchedule?: RenewalSchedule;
  /** Resolves once storage is initialized. */
  readonly ready: () => Promise<void>;
  /** Whether storage is initialized already (no need to wait for `ready`). */
  readonly initialized: () => boolean;
  readonly reportError: (...report: ErrorReport) => void;
  /** A delivery refused for good reaches `onRefused`. */
  readonly refused: (refusal: Refusal) => void;
  readonly telemetry: Telemetry;
  /** The delivery path's storage failures, which `health()` reports. */
  readonly storageFailures: StorageFailures;
  /** Deliveries get `shutting_down` once this returns true. */
  readonly closing: () => boolean;
  /** Inbox mode: deliveries are queued and this worker runs them. Absent in sync mode. */
  readonly inbox?: Wakeable;
  /** How far in the future an event's time may lie before it is clamped to the time of receipt, in ms. */
  readonly clockSkewMs: number;
  /** The keyed hash of a card number that a token reference or an id may be built from; throws when no key is configured. */
  readonly cardReference: (cardNumber: string) => string;
}
