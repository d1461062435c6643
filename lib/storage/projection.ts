import type { StaleReason } from '../events';
import type { StateChange, TokenStateRecord } from './storage';

export type ProjectionDecision = { readonly apply: true } | { readonly apply: false; readonly staleReason: StaleReason };

/**
 * The token-state rule (SPEC section 6), in one place. Adapters that cannot call it
 * (SQL, Lua) implement the same three checks in the same order.
 * - the same event again (a redelivery after a failure) applies again;
 * - nothing leaves DELETED;
 * - an event older than the one that set the current state is stale. Equal times apply:
 *   providers report seconds, and the later arrival is the better guess.
 */
export function decideProjection(current: TokenStateRecord | undefined, change: StateChange): ProjectionDecision {
  if (!current || current.eventId === change.eventId) return { apply: true };
  if (current.state === 'DELETED' && change.state !== 'DELETED') return { apply: false, staleReason: 'after_deleted' };
  if (change.occurredAt.getTime() < current.occurredAt.getTime()) return { apply: false, staleReason: 'out_of_order' };
  return { apply: true };
}
