import type { ReceiverErrorContext } from '../errors';
import type { Awaitable, EventKey, Settlement } from '../storage/storage';
import { redactText } from '../redact';
import type { LedgerClient } from './client';

/** The longest error text kept with an entry (its last error and its attempt log). */
const MAX_ERROR = 500;

/** How a run's outcome reaches storage: `settle` below, or the worker's `CompletionBatch` for completed runs. */
export type SettleFn = (key: EventKey, owner: string, settlement: Settlement, context: ReceiverErrorContext) => Promise<boolean>;

/**
 * A settlement as it is stored: its error text, kept as the entry's last error and in its attempt log, passes
 * through `redactText` here whatever made it (a handler's message, a crash-loop notice, a decoding failure), so no
 * card number, email or phone number is stored with it.
 */
export function storedSettlement(settlement: Settlement): Settlement {
  return settlement.status === 'done' ? settlement : { ...settlement, error: redactText(settlement.error).slice(0, MAX_ERROR) };
}

/** The storage call of a settlement on its own, as `storedSettlement` makes it: `settle` and `settleNow` differ only in how it is made. */
function settleCall(client: LedgerClient, key: EventKey, owner: string, settlement: Settlement): () => Awaitable<boolean> {
  const stored = storedSettlement(settlement);
  return () => client.storage.settle(key, owner, stored);
}

/** Record how a run ended: every settlement reaches storage as `storedSettlement` makes it, by this call or in a batch. */
export function settle(client: LedgerClient, key: EventKey, owner: string, settlement: Settlement, context?: ReceiverErrorContext): Promise<boolean> {
  return client.call('settle', settleCall(client, key, owner, settlement), context);
}

/** `settle`, answered at once by an in-process store (`LedgerClient.callNow`): a failure is thrown then, not rejected. */
export function settleNow(client: LedgerClient, key: EventKey, owner: string, settlement: Settlement, context?: ReceiverErrorContext): boolean | Promise<boolean> {
  return client.callNow('settle', settleCall(client, key, owner, settlement), context);
}
