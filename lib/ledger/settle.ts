import type { ReceiverErrorContext } from '../errors';
import type { EventKey, Settlement } from '../storage/storage';
import { redactText } from '../redact';
import type { LedgerClient } from './client';

/** The longest error text kept with an entry (its last error and its attempt log). */
const MAX_ERROR = 500;

/**
 * Record how a run ended: the one way a settlement reaches storage. Its error text, kept as the entry's last error and
 * in its attempt log, passes through `redactText` here whatever made it (a handler's message, a crash-loop notice, a
 * decoding failure), so no card number, email or phone number is stored with it.
 */
export function settle(client: LedgerClient, key: EventKey, owner: string, settlement: Settlement, context?: ReceiverErrorContext): Promise<boolean> {
  const stored = storedSettlement(settlement);
  return client.call('settle', () => client.storage.settle(key, owner, stored), context);
}

/** `settle`, answered at once by an in-process store (`LedgerClient.callNow`): a failure is thrown then, not rejected. */
export function settleNow(client: LedgerClient, key: EventKey, owner: string, settlement: Settlement, context?: ReceiverErrorContext): boolean | Promise<boolean> {
  const stored = storedSettlement(settlement);
  return client.callNow('settle', () => client.storage.settle(key, owner, stored), context);
}

const storedSettlement = (settlement: Settlement): Settlement =>
  (settlement.status === 'done' ? settlement : { ...settlement, error: redactText(settlement.error).slice(0, MAX_ERROR) });
