import type { ErrorReport } from '../ntw-error';
import type { Ledger } from '../ledger/ledger';
import type { Telemetry } from '../telemetry/telemetry';
import type { Refusal } from '../telemetry/refusal';
import type { Logger } from '../log';

/** What every endpoint shares: the ledger, and the settings of one `createTokenWebhooks` a delivery runs by. */
export interface DeliveryCore {
  /** Where an event goes once read: recorded, deduplicated, its handlers run. */
  readonly ledger: Ledger;
  /** The fleet's clock: when an event was received. */
  readonly now: () => Date;
  /** How long a delivery may take before it is answered retry-later (`timeout`) while its work goes on. */
  readonly deadlineMs: number;
  /** How far in the future an event's time may lie before it is clamped to the time of receipt, in ms. */
  readonly clockSkewMs: number;
  /** The keyed hash of a card number that a token reference or an id may be built from; throws when no key is configured. */
  readonly cardReference: (cardNumber: string) => string;
  readonly reportError: (...report: ErrorReport) => void;
  /** A delivery refused for good reaches `onRefused`. */
  readonly refused: (refusal: Refusal) => void;
  readonly telemetry: Telemetry;
  /** Deliveries get `shutting_down` once this returns true. */
  readonly closing: () => boolean;
  /** Where a delivery's log records go (the `logger` option); `debug` without one. */
  readonly logger: Logger | undefined;
}
