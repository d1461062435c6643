import type { TokenEvent, UnprojectedEvent } from '../events';
import type { Entry } from '../storage/storage';

/**
 * The event as its handlers see it, placed among its token's others (docs/events.md, "Token state"). The storage applied its
 * state when the entry was taken, under `decideProjection`, and recorded the outcome on the entry.
 * The event is completed in place and frozen, not copied: each run gets an event of its own (normalized from the
 * delivery, or decoded from the ledger) that nothing reads after it. One already frozen is copied.
 */
export function project(event: UnprojectedEvent, entry: Entry): TokenEvent {
  const projected: Record<string, unknown> = Object.isFrozen(event) ? { ...event } : event;
  const stale = entry.projection === 'stale';
  projected.stale = stale;
  if ('staleReason' in projected) delete projected.staleReason;
  if (stale && entry.staleReason) projected.staleReason = entry.staleReason;
  projected.repeated = entry.projection === 'repeated';
  // A notification always names its kind: a provider of the app's own may give none, and so may an entry it stored.
  if (projected.type === 'notification' && projected.kind === undefined) projected.kind = 'unknown';
  return Object.freeze(projected) as unknown as TokenEvent;
}
