import type { TokenEvent } from '../events';
import type { Entry } from '../storage/storage';

/** A normalized event before the token-state projection has said whether it is stale: what the ledger stores and runs. */
export type UnprojectedEvent = Omit<TokenEvent, 'stale' | 'staleReason' | 'repeated'>;

/**
 * The event as its handlers see it, placed among its token's others (docs/events.md, "Token state"). The storage applied its
 * state when the entry was taken, under `decideProjection`, and recorded the outcome on the entry.
 * The event is completed in place and frozen, not copied: each run gets an event of its own (normalized from the
 * delivery, or decoded from the ledger) that nothing reads after it. One already frozen is copied.
 */
export function eventForHandlers(event: UnprojectedEvent, entry: Entry): TokenEvent {
  const completed: Record<string, unknown> = Object.isFrozen(event) ? { ...event } : event;
  const stale = entry.projection === 'stale';
  completed.stale = stale;
  if ('staleReason' in completed) delete completed.staleReason;
  if (stale && entry.staleReason) completed.staleReason = entry.staleReason;
  completed.repeated = entry.projection === 'repeated';
  // A notification always names its kind: a provider of the app's own may give none, and so may an entry it stored.
  if (completed.type === 'notification' && completed.kind === undefined) completed.kind = 'unknown';
  return Object.freeze(completed) as unknown as TokenEvent;
}
