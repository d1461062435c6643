import type { StaleReason, TokenState } from '../../events';
import type { StateChange, TokenStateRecord } from '../storage';

/** What an event does to its token's state: `changed` or `repeated` with the state that follows, or `stale` and why. */
export type ProjectionDecision =
  | { readonly outcome: 'changed' | 'repeated'; readonly next: Pick<TokenStateRecord, 'state' | 'occurredAt' | 'eventId'> }
  | { readonly outcome: 'stale'; readonly staleReason: StaleReason };

const later = (a: Date, b: Date) => (a.getTime() >= b.getTime() ? a : b);

/**
 * The token-state rule (docs/events.md, "Token state"), in one place. Adapters that cannot call it (SQL, Lua) implement the
 * same checks in the same order.
 * - the event that set the current state, run again (a redelivery after a failure), changes it again;
 * - nothing leaves DELETED;
 * - an event older than the newest one applied is stale. Equal times apply: providers report seconds, and the
 *   later arrival is the better guess;
 * - the same state again is a repeat: it keeps the event that set the state, and moves the time forward.
 */
export function decideProjection(current: TokenStateRecord | undefined, change: StateChange): ProjectionDecision {
  const { state, occurredAt, eventId } = change;
  if (!current) return { outcome: 'changed', next: { state, occurredAt, eventId } };
  if (current.eventId === eventId) return { outcome: 'changed', next: { state, occurredAt: later(current.occurredAt, occurredAt), eventId } };
  if (current.state === 'DELETED' && state !== 'DELETED') return { outcome: 'stale', staleReason: 'after_deleted' };
  if (occurredAt.getTime() < current.occurredAt.getTime()) return { outcome: 'stale', staleReason: 'out_of_order' };
  if (state === current.state) return { outcome: 'repeated', next: { state, occurredAt, eventId: current.eventId } };
  return { outcome: 'changed', next: { state, occurredAt, eventId } };
}

/** The change an entry asks for when it is taken to run: its state, if it carries one. */
export function changeOf(entry: { provider: string; id: string; tokenRef: string; state?: TokenState; occurredAt: Date }): StateChange | undefined {
  return entry.state ? { provider: entry.provider, tokenRef: entry.tokenRef, state: entry.state, occurredAt: entry.occurredAt, eventId: entry.id } : undefined;
}
