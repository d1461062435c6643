import { ConfigurationError, ReportedError, WebhookError } from '../errors';
import type { DeliveryOutcome, EventOutcome } from '../providers/provider';
import type { Admission, EventKey } from '../storage/storage';
import { withDeadline } from '../delivery/deadline';
import { storageCall } from '../delivery/storage-call';
import { logger } from '../log';
import { describeError } from '../delivery/describe-error';
import { isNtwError } from '../ntw-error';
import type { DeliveryCore } from './core';
import type { Endpoint } from './endpoint';
import type { DeliveryInput } from './read-body';
import { readBody } from './read-body';
import { isHealthCheck } from './health-check';
import { authenticate } from './authenticate';
import { checkJson, parseJsonText } from './parse-json';
import type { Accepted } from './dedupe';
import type { ReadyEvent } from './record';
import type { SeveralEvents } from './events-of';
import { eventsOf, isSeveral, severalOutcome } from './events-of';
import { record } from './record';
import { quarantine } from './quarantine';
import type { FailurePolicy } from './run-entry';
import { runEntry } from './run-entry';

const log = logger('receive');

const KNOWN_DUPLICATE: Accepted = { duplicate: true };

/** Acknowledged with no handler to run, an event would be consumed unseen: the provider retries it later instead. */
export const noHandlers = () => new ConfigurationError('ERR_NTW_NO_HANDLERS',
  'no handler is registered (onActive, onSuspended, onDeleted, onUpdated or onEvent): deliveries are answered retry-later until one is');

/**
 * A failure none of the steps expects (a bug, here or in code of the app's own: a storage adapter that answers out
 * of shape): reported with a code, as everything the receiver reports is, the thrown error as its cause.
 */
const unexpected = (error: unknown) => new ReportedError('ERR_NTW_UNEXPECTED',
  `a delivery failed unexpectedly: ${describeError(error)}`, { cause: error });

/** Sync mode: a failed run waits for the provider's retry, which takes the entry again at once. */
export const awaitProviderRetry: FailurePolicy = (error) => ({ status: 'failed', error, retryInMs: 0 });

/**
 * One delivery through the pipeline (raw body → authenticity → JSON → schema → normalize → ledger → handlers →
 * answer), top to bottom; each step is one call in a file named for it. Transport-free: the Express middleware is
 * a thin adapter around this, and so can any other be.
 */
export async function deliver(endpoint: Endpoint, core: DeliveryCore, input: DeliveryInput): Promise<DeliveryOutcome> {
  let payload: unknown;
  try {
    if (isHealthCheck(endpoint.provider, input)) return { ok: true, eventId: '', duplicate: false, payload: undefined, healthCheck: true };
    if ((input.method ?? 'POST') !== 'POST') throw new WebhookError('method_not_allowed');
    if (core.closing()) throw new WebhookError('shutting_down');
    const body = readBody(input, endpoint);
    // The address is read only by a check that needs it (Express's req.ip is computed on each read).
    let receivedAt = core.now();
    const scope = await authenticate(endpoint, { method: input.method ?? 'POST', headers: input.headers, get ip() { return input.ip; }, receivedAt }, body.raw);
    if (core.handlers.size === 0) throw noHandlers();
    if (!core.initialized()) {
      // The first delivery connects the storage, and reads its clock, before it is dated.
      await storageCall(core, 'init', { provider: endpoint.provider.name }, core.ready);
      receivedAt = core.now();
    }
    let payloadJson: string | undefined;
    if (body.parsed === undefined) ({ value: payload, text: payloadJson } = parseJsonText(body.raw));
    else payload = checkJson(body.parsed);
    let ready: ReadyEvent | SeveralEvents;
    try {
      const issues = endpoint.validate(payload);
      if (issues) throw new WebhookError('schema_violation', { issues });
      ready = eventsOf(endpoint, core, payload, body.raw, receivedAt, scope, payloadJson, input.headers);
    } catch (error) {
      if (!endpoint.options.quarantine || !(error instanceof WebhookError) || error.code !== 'schema_violation') throw error;
      return { ok: true, ...await quarantine(endpoint, core, payload, error), payload, quarantined: true };
    }
    if (isSeveral(ready)) return { ok: true, ...await acceptInTurn(core, ready.several), payload };
    const key: EventKey = { provider: ready.event.provider, id: ready.event.id };
    const accepted = core.dedupe.knows(key, ready.fingerprint) ? KNOWN_DUPLICATE : await acceptWithin(core, ready, key, core.deadlineMs);
    log('%s %s accepted%s', key.provider, key.id, accepted.duplicate ? ' (duplicate)' : '');
    return { ok: true, eventId: key.id, duplicate: accepted.duplicate, payload };
  } catch (thrown) {
    // Our faults and the host's misconfiguration reach onError; the sender's bad input does not.
    if (!(thrown instanceof WebhookError) || thrown.code === 'raw_body_unavailable') {
      core.reportError(isNtwError(thrown) ? thrown : unexpected(thrown), { provider: endpoint.provider.name });
    }
    const error = thrown instanceof WebhookError ? thrown
      : thrown instanceof ConfigurationError ? new WebhookError('not_configured', { cause: thrown })
        : new WebhookError('handler_failed', { cause: thrown });
    log('%s rejected: %s %s', endpoint.provider.name, error.status, error.code);
    return { ok: false, error, payload };
  }
}

/** Record and run one event (or wait for its copy in flight) within `waitMs`; past it, `timeout` while the work goes on. */
function acceptWithin(core: DeliveryCore, ready: ReadyEvent, key: EventKey, waitMs: number): Promise<Accepted> {
  return withDeadline(core.dedupe.once(key, ready.fingerprint, waitMs, () => accept(core, ready)), waitMs, () => {
    log('%s %s passed the %dms deadline; answering retry-later', key.provider, key.id, core.deadlineMs);
    return new WebhookError('timeout');
  });
}

/**
 * A delivery of several events: each deduped and run on its own, in the order sent, all within the delivery's
 * deadline (one not yet started when it passes is left to the provider's retry, which finds the others duplicates).
 */
async function acceptInTurn(core: DeliveryCore, events: readonly ReadyEvent[]): Promise<ReturnType<typeof severalOutcome>> {
  const until = performance.now() + core.deadlineMs;
  const outcomes: EventOutcome[] = [];
  for (const ready of events) {
    const key: EventKey = { provider: ready.event.provider, id: ready.event.id };
    const left = until - performance.now();
    if (left <= 0) {
      log('%s %s not started: the delivery passed the %dms deadline; answering retry-later', key.provider, key.id, core.deadlineMs);
      throw new WebhookError('timeout');
    }
    const accepted = core.dedupe.knows(key, ready.fingerprint) ? KNOWN_DUPLICATE : await acceptWithin(core, ready, key, left);
    log('%s %s accepted%s', key.provider, key.id, accepted.duplicate ? ' (duplicate)' : '');
    outcomes.push({ eventId: key.id, duplicate: accepted.duplicate });
  }
  return severalOutcome(outcomes);
}

/** Steps 6 to 10, once per event in this process: record, then (sync mode) project, run handlers, complete. */
export async function accept(core: DeliveryCore, ready: ReadyEvent): Promise<Accepted> {
  const { event } = ready;
  const key: EventKey = { provider: event.provider, id: event.id };
  if (core.inbox) {
    const admission = await record(core, ready, { as: 'pending' });
    if (!admission.admitted) return existing(core, key, admission, true);
    core.dedupe.finish(key, ready.fingerprint);
    core.inbox.wake();
    return { duplicate: false };
  }
  const owner = core.owner();
  const takenAt = performance.now();
  const admission = await record(core, ready, { as: 'running', owner, leaseMs: core.leaseMs });
  if (!admission.admitted) return existing(core, key, admission, false);
  // This process runs it already (a replay; its lease looked expired to the storage): that run keeps the new lease.
  if (core.runs.retake(key, owner, admission.entry.attempts, takenAt)) throw new WebhookError('in_progress');
  await runEntry(core, { event, entry: admission.entry, owner, takenAt }, awaitProviderRetry);
  return { duplicate: false };
}

/**
 * A copy of an entry already in the ledger: a duplicate, unless another run holds its lease now (sync mode).
 * A copy that means something else under the same id is still acknowledged, never a retry loop, but reported.
 */
function existing(core: DeliveryCore, key: EventKey, admission: Admission & { admitted: false }, queued: boolean): Accepted {
  if (admission.conflict) {
    core.reportError(new ReportedError('ERR_NTW_CONFLICTING_DUPLICATE',
      `${key.provider} sent ${key.id} again with a different meaning (${admission.entry.conflicts} such copies): the first one stands`),
    { provider: key.provider, eventId: key.id });
  }
  if (!queued && admission.entry.status === 'running') throw new WebhookError('in_progress');
  if (queued || admission.entry.status === 'done') core.dedupe.finish(key, admission.entry.fingerprint);
  return { duplicate: true };
}
