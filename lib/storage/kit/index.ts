/**
 * `network-token-webhooks/storage-kit`: what a storage adapter's author needs. The `Storage` contract and its types;
 * the ledger's rules as functions (what `admit`, `lease`, `settle` and the token-state projection decide), for an
 * adapter that can run JavaScript inside its atomic step and as the reference for one that runs them in its own
 * language; the row shape and column lists of the SQL adapters; option helpers; the migration convention; and the
 * conformance suite every adapter passes, for any test runner, each capability's group on its own.
 *
 * @module network-token-webhooks/storage-kit
 */
export type {
  Storage, Awaitable, EventKey, EntryStatus, RequeueableStatus, EntryRecord, Entry, TokenStateRecord, StateChange, Admit, Admission, Settlement,
  EntryQuery, EntryCursor, StatsQuery, ReceivedCount, StatusCount, TokenStateCount, LedgerStats, PruneResult, ProjectionOutcome,
  Attempt, AttemptOutcome, EntryCopy, EntryHistory, RefusalMinute, OwnedSettlement,
} from '../storage';
export { ENTRY_STATUSES, HISTORY_MAX, REFUSALS_KEPT_MS, REQUEUEABLE_STATUSES, STATS_BUCKET_MS, cursorOf, statsWindow } from '../storage';

export { admissionOf, admittedEntry, isDue, maySettle, project, publicEntry, settledEntry, takenEntry } from './ledger-rules';
export type { AdmissionDecision, Held } from './ledger-rules';
export { changeOf, decideProjection } from './projection';
export {
  appendBounded, historyFromJson, mergeRefusals, minuteOf, requeuedAttempt, settledAttempt,
} from './history';
export type { AttemptJson, CopyJson } from './history';
export type { ProjectionDecision } from './projection';

export { ENTRY_COLUMNS, HISTORY_COLUMNS, LEDGER_COLUMNS, OPEN_STATUSES_SQL, STATE_COLUMNS, TIME_COLUMNS, entryFromRow, stateFromRow } from './row';
export type { EntryRow, StateRow } from './row';

export { closeWithin, timeoutMsOption } from './options';
export { Coalescer } from './coalesce';
export type { CoalesceOptions } from './coalesce';
export { checkOptionNames } from '../../option-names';
export type { OptionNames } from '../../option-names';

export { latestVersion, pendingSteps } from './migrations/steps';
export type { MigrationStep } from './migrations/steps';
export { schemaBehind, schemaNewer } from './migrations/schema-version';

export {
  runStorageConformance, admitConformance, leaseConformance, extendConformance, settleConformance, tokenStateConformance,
  requeueConformance, listingConformance, searchConformance, statsConformance, historyConformance, refusalsConformance, retentionConformance,
  idsConformance, probeConformance, persistenceConformance,
} from './conformance';
export type { ConformanceGroup, ConformanceOptions, StorageFactory, TestFunctions } from './conformance';
