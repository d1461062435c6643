import type { TokenEvent, UnprojectedEvent } from '../events';
import type { Entry } from '../storage/storage';

/**
 * The event as its handlers see it, placed among its token's others (SPEC section 6). The storage applied its
 * state when the entry was taken, under `decideProjection`, and recorded the outcome on the entry.
 */
export function project(event: UnprojectedEvent, entry: Entry): TokenEvent {
  return Object.freeze({
    ...event,
    stale: entry.projection === 'stale',
    ...(entry.projection === 'stale' && entry.staleReason ? { staleReason: entry.staleReason } : {}),
    repeated: entry.projection === 'repeated',
  }) as TokenEvent;
}
