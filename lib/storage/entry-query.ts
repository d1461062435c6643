import type { Entry, EntryCursor, EntryQuery } from './storage';

/** What an `EntryQuery` selects and in which order, as a function of the entries: the in-memory store's listing, and the check of any other's. */

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The listing order, oldest first: by `receivedAt`, then provider, then id (by UTF-16 code units). */
export function compareEntries(a: EntryCursor, b: EntryCursor): number {
  return a.receivedAt.getTime() - b.receivedAt.getTime() || byText(a.provider, b.provider) || byText(a.id, b.id);
}

/** Whether `entry` is selected by `query` (every field but `limit` and `order`; `after` in the query's order). */
export function matchesQuery(entry: Entry, query: EntryQuery): boolean {
  const at = entry.receivedAt.getTime();
  return (query.provider === undefined || entry.provider === query.provider)
    && (query.id === undefined || entry.id === query.id)
    && (query.after === undefined || compareEntries(entry, query.after) * (query.order === 'newest' ? -1 : 1) > 0)
    && (query.tokenRef === undefined || entry.tokenRef === query.tokenRef)
    && (query.status === undefined || entry.status === query.status)
    && (query.conflicted !== true || entry.conflicts > 0)
    && (query.since === undefined || at >= query.since.getTime())
    && (query.until === undefined || at < query.until.getTime());
}

/** `found` in the query's order, cut to its limit. */
export function orderedPage<T extends Entry>(found: T[], query: EntryQuery): T[] {
  const sign = query.order === 'newest' ? -1 : 1;
  return found.sort((a, b) => sign * compareEntries(a, b)).slice(0, query.limit ?? 100);
}

