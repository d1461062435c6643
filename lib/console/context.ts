import type { DeliveryMode } from '../shared/mode';
import type { RefusalMinute, Storage } from '../storage/storage';
import type { RefusalSnapshot } from '../telemetry/refusal-tally';
import type { Logger } from '../log';
import type { ReplayManyQuery } from '../ledger/replay-many';
import type { Flash } from './flash';
import type { Html } from './html';

/** What the console reads and does through the receiver it belongs to. */
export interface ConsoleSource {
  readonly storage: Storage;
  readonly mode: DeliveryMode;
  replay(eventId: string, provider?: string): Promise<number>;
  replayMany(query: ReplayManyQuery): Promise<{ readonly replayed: number }>;
  /** How long the console waits for a replay before it answers that the storage did not (a sync replay runs handlers). */
  readonly replayTimeoutMs: number;
  /** The providers a token may belong to: the built-in ones and those mounted. */
  providers(): readonly string[];
  now(): Date;
  /** The deliveries this process refused since it started (they are never stored as entries). */
  refusals(): RefusalSnapshot;
  /** Every instance's refused deliveries by minute from `since` on, bounded by `storageTimeoutMs`; `undefined` when the storage keeps none. */
  fleetRefusals(since: Date): Promise<RefusalMinute[] | undefined>;
  /** The payload an entry's body keeps, redacted as stored (never the sealed clear copy); throws for a body it cannot read. */
  storedPayload(body: string): unknown;
  /** A storage call, bounded by `storageTimeoutMs` (a `StorageError` past it, or when it fails). */
  call<T>(operation: string, call: () => T | Promise<T>): Promise<T>;
  /** Where the console's log records go: the receiver's `logger` option. */
  readonly logger: Logger | undefined;
}

/** A page as a page function renders it: its title, its body, and a status other than 200. */
export interface PageResult {
  readonly title: string;
  readonly body: Html;
  readonly status?: number;
}

/** One page request, as a page renders it. */
export interface PageContext {
  /** The path the console is mounted at (`/ops/token-webhooks`), without a trailing slash. */
  readonly base: string;
  readonly source: ConsoleSource;
  readonly query: URLSearchParams;
  /** The anti-forgery token for this browser's forms. */
  readonly csrf: string;
  readonly windowMinutes: number;
  readonly pageSize: number;
  /** What the form just posted did, shown once: a reload does not show it again. */
  readonly flash: Flash | undefined;
}
