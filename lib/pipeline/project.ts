import type { TokenEvent, UnprojectedEvent } from '../events';
import type { Entry } from '../storage/storage';

/**
 * The event as its handlers see it, placed among its token's others (SPEC section 6). The storage applied its
 * state when the entry was taken, under `decideProjection`, and recorded the outcome on the entry.
 */
export function project(event: UnprojectedEvent, entry: Entry): TokenEvent {
  const stale = entry.projection === 'stale';
  const projected: Record<string, unknown> = { ...event, stale };
  if (stale && entry.staleReason) projected.staleReason = entry.staleReason;
  projected.repeated = entry.projection === 'repeated';
  return Object.freeze(projected) as unknown as TokenEvent;
}
