import { ReportedError, WebhookError } from '../errors';
import type { Admission, EventKey } from '../storage/storage';
import type { Ledger } from './ledger';
import type { Accepted } from './dedupe';
import type { NormalizedEvent } from './record';
import { record } from './record';
import { awaitProviderRetry, runEntry } from './run-entry';

/**
 * An event the pipeline normalized, into the ledger, once per event in this process (the caller holds its
 * dedupe slot): recorded, then, in sync mode, projected, its handlers run and its completion stored; in inbox
 * mode queued for the worker. Answers whether it was a duplicate.
 */
export async function accept(ledger: Ledger, normalized: NormalizedEvent): Promise<Accepted> {
  const { event } = normalized;
  const key: EventKey = { provider: event.provider, id: event.id };
  const { inbox } = ledger;
  if (inbox) {
    const admission = await record(ledger, normalized, { as: 'pending' });
    if (!admission.admitted) return existing(ledger, key, admission, true);
    ledger.dedupe.finish(key, normalized.fingerprint);
    inbox.wake();
    return NEW;
  }
  const owner = ledger.owner();
  const takenAt = performance.now();
  const admission = await record(ledger, normalized, { as: 'running', owner, leaseMs: ledger.leaseMs });
  if (!admission.admitted) return existing(ledger, key, admission, false);
  // This process runs it already (a replay; its lease looked expired to the storage): that run keeps the new lease.
  if (ledger.runs.retake(key, owner, admission.entry.attempts, takenAt)) throw new WebhookError('in_progress');
  await runEntry(ledger, { event, entry: admission.entry, owner, takenAt }, awaitProviderRetry);
  return NEW;
}

const NEW: Accepted = { duplicate: false };
const DUPLICATE: Accepted = { duplicate: true };

/**
 * A copy of an entry already in the ledger: a duplicate, unless another run holds its lease now (sync mode).
 * A copy that means something else under the same id is still acknowledged, never a retry loop, but reported.
 */
function existing(ledger: Ledger, key: EventKey, admission: Admission & { admitted: false }, queued: boolean): Accepted {
  if (admission.conflict) {
    ledger.reportError(new ReportedError('ERR_NTW_CONFLICTING_DUPLICATE',
      `${key.provider} sent ${key.id} again with a different meaning (${admission.entry.conflicts} such copies): the first one stands`),
    { provider: key.provider, eventId: key.id });
  }
  if (!queued && admission.entry.status === 'running') throw new WebhookError('in_progress');
  if (queued || admission.entry.status === 'done') ledger.dedupe.finish(key, admission.entry.fingerprint);
  return DUPLICATE;
}
