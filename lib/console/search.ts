import type { EntryCursor, EntryQuery, EntryStatus } from '../storage/storage';
import { ENTRY_STATUSES } from '../storage/storage';

/** Longer than any id, token reference or provider name the pipeline stores. */
export const MAX_INPUT = 512;

/** What the search form asks, as the page reads it back from its URL. */
export interface Search {
  readonly id: string;
  readonly tokenRef: string;
  readonly provider: string;
  readonly status: EntryStatus | '';
  /** As typed (`2026-03-02T08:00`, UTC), and as a time. */
  readonly from: string;
  readonly to: string;
  readonly since?: Date;
  readonly until?: Date;
}

/** A page's place in the listing: after an entry (older ones, newest first), or before one (newer ones). */
export type Place = { readonly after: EntryCursor } | { readonly before: EntryCursor } | Record<string, never>;

/** `2026-03-02T08:00` or `2026-03-02T08:00:30` (what a `datetime-local` input sends), read as UTC. */
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

function utc(text: string): Date | undefined {
  const match = LOCAL_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((n) => Number(n ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // a day or an hour out of range (2026-02-31, 25:00) is refused, not carried over
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day && date.getUTCHours() === hour && date.getUTCMinutes() === minute ? date : undefined;
}

/** A cursor as a URL parameter: the base64url of `[receivedAt ms, provider, id]`. */
export const encodeCursor = (cursor: EntryCursor): string =>
  Buffer.from(JSON.stringify([cursor.receivedAt.getTime(), cursor.provider, cursor.id])).toString('base64url');

export function decodeCursor(text: string): EntryCursor | undefined {
  if (text.length > 4 * MAX_INPUT || !/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 3) return undefined;
    const [ms, provider, id] = value as unknown[];
    if (!Number.isSafeInteger(ms) || typeof provider !== 'string' || typeof id !== 'string') return undefined;
    if (provider.length > MAX_INPUT || id.length > MAX_INPUT) return undefined;
    return { receivedAt: new Date(ms as number), provider, id };
  } catch {
    return undefined;
  }
}

/** The search and the page's place a URL asks for, or why it cannot be answered (a 400 that says so). */
export function readSearch(params: URLSearchParams): { search: Search; place: Place } | { problem: string } {
  const text = (name: string) => (params.get(name) ?? '').trim();
  const fields = { id: text('id'), tokenRef: text('tokenRef'), provider: text('provider'), status: text('status'), from: text('from'), to: text('to') };
  for (const [name, value] of Object.entries(fields)) if (value.length > MAX_INPUT) return { problem: `${name} is longer than ${MAX_INPUT} characters` };
  if (fields.status !== '' && !ENTRY_STATUSES.includes(fields.status as EntryStatus)) return { problem: `no status is named "${fields.status}"` };
  const since = fields.from === '' ? undefined : utc(fields.from);
  if (fields.from !== '' && !since) return { problem: 'the start of the time range is not a time (YYYY-MM-DDTHH:MM, UTC)' };
  const until = fields.to === '' ? undefined : utc(fields.to);
  if (fields.to !== '' && !until) return { problem: 'the end of the time range is not a time (YYYY-MM-DDTHH:MM, UTC)' };
  if (since && until && since >= until) return { problem: 'the time range ends before it starts' };
  const after = params.get('after');
  const before = params.get('before');
  const cursor = after ?? before;
  const decoded = cursor === null ? undefined : decodeCursor(cursor);
  if (cursor !== null && !decoded) return { problem: 'the page asked for is not one this console links to' };
  const place: Place = decoded === undefined ? {} : after !== null ? { after: decoded } : { before: decoded };
  return {
    search: { ...fields, status: fields.status as Search['status'], ...(since ? { since } : {}), ...(until ? { until } : {}) },
    place,
  };
}

/** The storage query of a search, for `limit` entries from its place (newest first; `before`: the newer ones, oldest first). */
export function queryOf(search: Search, place: Place, limit: number): EntryQuery {
  return {
    ...(search.id ? { id: search.id } : {}),
    ...(search.tokenRef ? { tokenRef: search.tokenRef } : {}),
    ...(search.provider ? { provider: search.provider } : {}),
    ...(search.status ? { status: search.status } : {}),
    ...(search.since ? { since: search.since } : {}),
    ...(search.until ? { until: search.until } : {}),
    ...('after' in place ? { after: place.after } : {}),
    ...('before' in place ? { after: place.before } : {}),
    order: 'before' in place ? 'oldest' : 'newest',
    limit,
  };
}

/** The URL parameters of a search (the filled fields), for links to its other pages. */
export function searchParams(search: Search): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of ['id', 'tokenRef', 'provider', 'status', 'from', 'to'] as const) if (search[name]) params[name] = search[name];
  return params;
}
