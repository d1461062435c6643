import { ReportedError, WebhookError } from '../errors';
import type { Admission, EventKey } from '../storage/storage';
import type { Inbox, Ledger } from './ledger';
import { isThenable } from '../shared/thenable';
import type { Accepted } from './dedupe';
import type { NormalizedEvent } from './record';
import { record } from './record';
import { awaitProviderRetry, runEntry } from './run-entry';

/**
 * An event the pipeline normalized, into the ledger, once per event in this process (the caller holds its
 * dedupe slot): recorded, then, in sync mode, projected, its handlers run and its completion stored; in inbox
 * mode queued for the worker. Answers whether it was a duplicate: at once, not a promise, when the storage and the
 * handlers answered at once (`runEntry`).
 */
export function accept(ledger: Ledger, normalized: NormalizedEvent): Accepted | Promise<Accepted> {
  if (ledger.inbox) return queue(ledger, ledger.inbox, normalized);
  const owner = ledger.owner();
  const takenAt = performance.now();
  const admission = record(ledger, normalized, { as: 'running', owner, leaseMs: ledger.leaseMs });
  return isThenable(admission)
    ? admission.then((admitted) => run(ledger, normalized, admitted, owner, takenAt))
    : run(ledger, normalized, admission, owner, takenAt);
}

/** Inbox mode: the event stored for the worker, which is woken. */
async function queue(ledger: Ledger, inbox: Inbox, normalized: NormalizedEvent): Promise<Accepted> {
  const { event } = normalized;
  const admission = await record(ledger, normalized, { as: 'pending' });
  if (!admission.admitted) return existing(ledger, { provider: event.provider, id: event.id }, admission, true);
  ledger.dedupe.finish(event, normalized.fingerprint);
  inbox.wake();
  return NEW;
}

/** Sync mode: the event taken to run by this delivery (`admission`), run now. */
function run(ledger: Ledger, normalized: NormalizedEvent, admission: Admission, owner: string, takenAt: number): Accepted | Promise<Accepted> {
  const { event } = normalized;
  if (!admission.admitted) return existing(ledger, { provider: event.provider, id: event.id }, admission, false);
  // This process runs it already (a replay; its lease looked expired to the storage): that run keeps the new lease.
  if (ledger.runs.retake(event, owner, admission.entry.attempts, takenAt)) throw new WebhookError('in_progress');
  const ran = runEntry(ledger, { event, entry: admission.entry, owner, takenAt }, awaitProviderRetry);
  return isThenable(ran) ? ran.then(() => NEW) : NEW;
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
