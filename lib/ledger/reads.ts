import type { StaleReason, TokenEventType, TokenState } from '../events';
import type { Entry, EntryQuery, EntryStatus, TokenStateRecord } from '../storage/storage';
import type { ObservedCounts } from '../telemetry/telemetry';
import type { LedgerClient } from './client';
import type { EntryCodec } from './entry-codec';

/** The answer to "can I charge this token now?". */
export interface TokenStateView extends TokenStateRecord {
  readonly chargeable: boolean;
}

/** One ledger entry as `listEvents` shows it: the event, its outcome, and its payload with secrets redacted. */
export interface StoredEvent {
  readonly provider: string;
  readonly id: string;
  readonly type: TokenEventType | 'unreadable';
  readonly tokenRef: string;
  readonly state?: TokenState;
  readonly occurredAt: Date;
  readonly receivedAt: Date;
  readonly status: EntryStatus;
  readonly attempts: number;
  readonly lastError?: string;
  /** Copies of this id that arrived with a different meaning. */
  readonly conflicts: number;
  /** `true` when, as last run, it was older than its token's state or would have revived a DELETED token. */
  readonly stale: boolean;
  readonly staleReason?: StaleReason;
  /** `true` when, as last run, it reported the state its token already had. */
  readonly repeated: boolean;
  readonly payload: unknown;
}

/** The token's state as its events set it, and whether it may be charged. */
export async function tokenState(client: LedgerClient, provider: string, tokenRef: string): Promise<TokenStateView | undefined> {
  const record = await client.call('getTokenState', () => client.storage.getTokenState(provider, tokenRef));
  return record && { ...record, chargeable: record.state === 'ACTIVE' };
}

/** The ledger's entries as `listEvents` shows them. */
export async function listEvents(client: LedgerClient, codec: EntryCodec, query: EntryQuery = {}): Promise<StoredEvent[]> {
  const entries = await client.call('listEntries', () => client.storage.listEntries(query));
  return entries.map((entry) => storedEvent(entry, codec));
}

/**
 * The counts the gauges report (inbox depth, dead letters, tokens by state), read from the storage at each
 * metrics collection, one call: only from an adapter that counts (`Storage.stats`), never by listing.
 */
export function readCounts(client: LedgerClient): Promise<ObservedCounts> {
  const { storage } = client;
  return client.call('stats', () => {
    if (!storage.stats) throw new TypeError('this storage keeps no counts (Storage.stats)');
    const now = new Date();
    return storage.stats({ since: now, until: now });
  });
}

/** An entry as `listEvents` shows it: its redacted payload, never the sealed secrets. */
function storedEvent(entry: Entry, codec: EntryCodec): StoredEvent {
  let payload: unknown;
  try {
    payload = codec.payload(entry.body);
  } catch {
    payload = undefined;
  }
  return {
    provider: entry.provider, id: entry.id, type: entry.type as StoredEvent['type'], tokenRef: entry.tokenRef,
    ...(entry.state ? { state: entry.state } : {}),
    occurredAt: entry.occurredAt, receivedAt: entry.receivedAt,
    status: entry.status, attempts: entry.attempts, ...(entry.lastError !== undefined ? { lastError: entry.lastError } : {}),
    conflicts: entry.conflicts, stale: entry.projection === 'stale', ...(entry.staleReason ? { staleReason: entry.staleReason } : {}),
    repeated: entry.projection === 'repeated',
    payload,
  };
}
