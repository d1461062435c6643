import type { Ledger } from './ledger';
import { awaitProviderRetry } from './run-entry';
import type { RunPolicy } from './stored-run';
import { runStored } from './stored-run';

/** Sync mode has no worker: a replayed entry runs here, and one that fails waits for the next copy or replay, never dead. */
export const RUN_NOW: RunPolicy = { onFailure: awaitProviderRetry, maxAttempts: Infinity };

/**
 * Make the failed, dead or done entries of `eventId` (of `provider`, or of any) pending again, and run them: in sync
 * mode now, each through the same `runEntry` as a delivery; in inbox mode by the worker. Answers how many.
 */
export async function replayEntries(ledger: Ledger, eventId: string, provider?: string): Promise<number> {
  const { client, inbox } = ledger;
  const keys = await client.call('requeue', () => client.storage.requeue(eventId, provider));
  ledger.telemetry.replayed(provider, 'one', keys.length);
  if (inbox) inbox.wake();
  else for (const key of keys) await runStored(ledger, key, RUN_NOW);
  return keys.length;
}
