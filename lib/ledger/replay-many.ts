import { performance } from 'node:perf_hooks';
import { ConfigurationError } from '../errors';
import type { Entry, EntryQuery, EventKey } from '../storage/storage';
import { logger } from '../log';
import type { Ledger } from './ledger';
import { RUN_NOW } from './replay';
import { runStored } from './stored-run';

const log = logger('replay');

/**
 * The statuses replayed in bulk: what an outage leaves behind. Not `done`: a done event run again is done again, so
 * a second call would run it once more (not idempotent), and its handlers' effects happened already.
 */
export type ReplayManyStatus = 'dead' | 'failed';

/** Which events `replayMany` replays: of one status, of one provider or all, received in a window, oldest first. */
export interface ReplayManyQuery {
  /** Only this provider's events. Default: every provider's. */
  readonly provider?: string;
  /** `dead`: dead letters (inbox mode); `failed`: events whose last run failed. */
  readonly status: ReplayManyStatus;
  /** Received at or after this time. */
  readonly since?: Date;
  /** Received before this time. */
  readonly until?: Date;
  /** At most this many, the oldest received first. Default 1,000; at most 10,000. */
  readonly limit?: number;
}

export const REPLAY_MANY_LIMIT = 1000;
export const REPLAY_MANY_MAX_LIMIT = 10_000;
const STATUSES: readonly string[] = ['dead', 'failed'] satisfies ReplayManyStatus[];
/** Entries checked and requeued at once: enough to hide a network store's round trip, few enough to leave deliveries room. */
const AT_ONCE = 8;

const isDate = (value: unknown): value is Date => value instanceof Date && !Number.isNaN(value.getTime());

/** The query as the storage takes it; a malformed one throws `ERR_NTW_OPTION` (nothing is replayed). */
export function replayQuery(query: ReplayManyQuery): EntryQuery & { readonly status: ReplayManyStatus; readonly limit: number } {
  const fail = (what: string) => new ConfigurationError('ERR_NTW_OPTION', `replayMany() ${what}`);
  if (query === null || typeof query !== 'object') throw fail("takes { status: 'dead' | 'failed', provider?, since?, until?, limit? }");
  const { provider, status, since, until, limit = REPLAY_MANY_LIMIT } = query;
  if (!STATUSES.includes(status)) throw fail(`status must be 'dead' or 'failed', not ${JSON.stringify(status)}`);
  if (provider !== undefined && (typeof provider !== 'string' || provider === '')) throw fail('provider must be a provider name');
  if (since !== undefined && !isDate(since)) throw fail('since must be a valid Date');
  if (until !== undefined && !isDate(until)) throw fail('until must be a valid Date');
  if (!Number.isInteger(limit) || limit < 1 || limit > REPLAY_MANY_MAX_LIMIT) throw fail(`limit must be an integer from 1 to ${REPLAY_MANY_MAX_LIMIT}`);
  return {
    status, limit, order: 'oldest',
    ...(provider !== undefined ? { provider } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}),
  };
}

/**
 * Replay in bulk: list what matches (one call), then for each entry check that it is still as listed and requeue it
 * (two calls, a few entries at a time), every call bounded by the ledger's client. An entry replayed meanwhile by
 * someone else is pending, running or done by then, and left alone: a second call answers 0 for what the first
 * replayed. What was requeued runs as a replay does: by the worker (inbox mode, as many at once as it runs), or here
 * in the background, one at a time in the order received, until the receiver closes (sync mode: what is left stays pending, shown as such in the console). A
 * storage failure rejects, after what was requeued before it is set running.
 */
export async function replayMany(ledger: Ledger, query: ReplayManyQuery, closing: () => boolean): Promise<number> {
  const filter = replayQuery(query);
  const started = performance.now();
  const attributes = { 'ntw.provider': filter.provider ?? '*', 'ntw.entry.status': filter.status };
  const replayed = await ledger.telemetry.span('ntw.replay_many', attributes, async (span) => {
    const { client } = ledger;
    const listed = await client.call('listEntries', () => client.storage.listEntries(filter));
    const candidates = listed.filter((entry) => entry.status === filter.status);
    // By the listing's index, so that sync mode runs them in the order received, whichever requeue answered first.
    const requeued: EventKey[][] = [];
    try {
      await inTurns(candidates, async (entry, index) => {
        const key = { provider: entry.provider, id: entry.id };
        const current = await client.call('getEntry', () => client.storage.getEntry(key));
        if (current?.status !== filter.status) return;
        requeued[index] = await client.call('requeue', () => client.storage.requeue(key.id, key.provider, [filter.status]));
      });
    } finally {
      runRequeued(ledger, requeued.flat(), closing);
    }
    const count = requeued.reduce((sum, keys) => sum + keys.length, 0);
    span.setAttribute('ntw.replayed', count);
    return count;
  });
  ledger.telemetry.replayed(filter.provider, 'bulk', replayed);
  log.info({
    provider: filter.provider, entryStatus: filter.status, replayed, durationMs: Math.round((performance.now() - started) * 10) / 10,
  }, 'replayed in bulk', ledger.logger);
  return replayed;
}

/** `step` over `entries`, `AT_ONCE` at a time; the first failure stops the rest and rejects once those under way ended. */
async function inTurns(entries: readonly Entry[], step: (entry: Entry, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (!failure && next < entries.length) {
      const index = next++;
      try {
        await step(entries[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, entries.length) }, lane));
  if (failure) throw failure.error;
}

/** Inbox mode: wake the worker. Sync mode: run them here, one after the other, counted in `background` (so `close()` waits). */
function runRequeued(ledger: Ledger, keys: readonly EventKey[], closing: () => boolean): void {
  if (keys.length === 0) return;
  if (ledger.inbox) {
    ledger.inbox.wake();
    return;
  }
  ledger.background.track((async () => {
    for (const key of keys) {
      if (closing()) return;
      await runStored(ledger, key, RUN_NOW);
    }
  })());
}
