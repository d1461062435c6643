import type { Entry, LedgerStats, ReceivedCount, StatsQuery, StatusCount, TokenStateCount, TokenStateRecord } from './storage';
import { STATS_BUCKET_MS, statsWindow } from './storage';

/** Count into `counts` under `key`, keeping the first row seen for it. */
function tally<R extends { count: number }>(counts: Map<string, R>, key: string, row: () => R): void {
  const current = counts.get(key);
  if (current) current.count++;
  else counts.set(key, row());
}

/** `LedgerStats` by walking every entry and token state: for the in-memory store, whose size is bounded. */
export function statsOf(entries: Iterable<Entry>, states: Iterable<TokenStateRecord>, query: StatsQuery): LedgerStats {
  const { since, until } = statsWindow(query);
  const received = new Map<string, { -readonly [K in keyof ReceivedCount]: ReceivedCount[K] }>();
  const open = new Map<string, { -readonly [K in keyof StatusCount]: StatusCount[K] }>();
  const tokens = new Map<string, { -readonly [K in keyof TokenStateCount]: TokenStateCount[K] }>();
  let conflicted = 0;
  for (const e of entries) {
    if (query.provider !== undefined && e.provider !== query.provider) continue;
    const at = e.receivedAt.getTime();
    if (at >= since && at < until) {
      const minute = at - (at % STATS_BUCKET_MS);
      tally(received, `${minute}\u0000${e.provider}\u0000${e.status}`, () => ({ minute: new Date(minute), provider: e.provider, status: e.status, count: 1 }));
    }
    if (e.status !== 'done') tally(open, `${e.provider}\u0000${e.status}`, () => ({ provider: e.provider, status: e.status, count: 1 }));
    if (e.conflicts > 0) conflicted++;
  }
  for (const s of states) {
    if (query.provider !== undefined && s.provider !== query.provider) continue;
    tally(tokens, `${s.provider}\u0000${s.state}`, () => ({ provider: s.provider, state: s.state, count: 1 }));
  }
  return { received: [...received.values()], open: [...open.values()], tokens: [...tokens.values()], conflicted };
}
