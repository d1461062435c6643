import type { IncomingHttpHeaders } from 'node:http';
import { ConfigurationError, ReportedError, StorageError, WebhookError } from '../errors';
import type { DeliveryOutcome, EventOutcome } from '../providers/provider';
import { withDeadline } from '../shared/deadline';
import { isThenable } from '../shared/thenable';
import { logger } from '../log';
import { describeError } from '../shared/describe-error';
import { isNtwError } from '../ntw-error';
import type { Accepted } from '../ledger/dedupe';
import type { NormalizedEvent } from '../ledger/record';
import { accept } from '../ledger/accept';
import type { DeliveryCore } from './core';
import type { Ledger } from '../ledger/ledger';
import type { Endpoint } from './endpoint';
import type { DeliveryInput } from './request';
import type { ClientCertificate, DeliveryRequest } from '../auth/authenticator';
import { readBody } from './read-body';
import { isHealthCheck } from './health-check';
import { authenticate } from './authenticate';
import { checkJson, parseJsonText } from '../shared/parse-json';
import { decrypted } from './decrypt';
import type { SeveralEvents } from './events-of';
import { eventsOf, isSeveral, severalOutcome } from './events-of';
import { quarantine } from './quarantine';

const log = logger('receive');

const KNOWN_DUPLICATE: Accepted = { duplicate: true };
const HEALTHY: DeliveryOutcome = { ok: true, eventId: '', duplicate: false, payload: undefined, healthCheck: true };

/** Acknowledged with no handler to run, an event would be consumed unseen: the provider retries it later instead. */
export const noHandlers = () => new ConfigurationError('ERR_NTW_NO_HANDLERS',
  'no handler is registered (onActive, onSuspended, onDeleted, onUpdated or onEvent): deliveries are answered retry-later until one is');

/**
 * A failure none of the steps expects (a bug, here or in code of the app's own: a storage adapter that answers out
 * of shape): reported with a code, as everything the receiver reports is, the thrown error as its cause.
 */
const unexpected = (error: unknown) => new ReportedError('ERR_NTW_UNEXPECTED',
  `a delivery failed unexpectedly: ${describeError(error)}`, { cause: error });

/**
 * One request through the pipeline (health check → method → body: content type, size limit, deadline, coding →
 * authenticity → JSON → decryption → schema → normalize → ledger → handlers), top to bottom; each step is one call in a file
 * named for it. Transport-free, and the only place any of it is judged: the adapters (Node/Express, Fastify,
 * fetch) only translate their request into a `DeliveryInput` and write the answer back.
 */
export async function runPipeline(endpoint: Endpoint, core: DeliveryCore, input: DeliveryInput): Promise<DeliveryOutcome> {
  let payload: unknown;
  try {
    if (isHealthCheck(endpoint.provider, input)) return HEALTHY;
    const method = input.method ?? 'POST';
    if (method !== 'POST') throw new WebhookError('method_not_allowed');
    // A step that answers at once (bytes given, a synchronous check, an in-process store) is not awaited.
    const read = readBody(input, endpoint);
    const body = isThenable(read) ? await read : read;
    if (body === undefined) return HEALTHY; // an empty POST, found empty once read
    if (core.closing()) throw new WebhookError('shutting_down');
    let receivedAt = core.now();
    const verdict = authenticate(endpoint, core.logger, new RequestToCheck(method, input, receivedAt), body.raw);
    const scope = isThenable(verdict) ? await verdict : verdict;
    const { ledger } = core;
    if (ledger.handlers.size === 0) throw noHandlers();
    if (!ledger.client.initialized) {
      // The first delivery connects the storage, and reads its clock, before it is dated.
      await ledger.client.init({ provider: endpoint.provider.name });
      receivedAt = core.now();
    }
    let payloadJson: string | undefined;
    if (body.parsed === undefined) ({ value: payload, text: payloadJson } = parseJsonText(body.raw));
    else payload = checkJson(body.parsed);
    // The text received is ciphertext then: what is kept is the decrypted payload, serialized again.
    if (endpoint.decrypt) {
      payload = decrypted(endpoint, payload, core.logger);
      payloadJson = undefined;
    }
    const recorded = validatedAndRecorded(endpoint, core, input, body.raw, payload, payloadJson, receivedAt, scope);
    return isThenable(recorded) ? await recorded : recorded;
  } catch (thrown) {
    return failed(endpoint, core, thrown, payload);
  }
}

/**
 * The steps after the payload is read and decrypted: the schema (a violation quarantined where the endpoint keeps
 * them), normalize, and the ledger (a copy this process saw finish is answered at once; anything else is recorded and
 * run). What a step throws, or a promise it returns rejects with, is the delivery's failure.
 */
function validatedAndRecorded(endpoint: Endpoint, core: DeliveryCore, input: DeliveryInput, raw: Buffer, payload: unknown, payloadJson: string | undefined,
  receivedAt: Date, scope: string | undefined): DeliveryOutcome | Promise<DeliveryOutcome> {
  let normalized: NormalizedEvent | SeveralEvents;
  try {
    const issues = endpoint.validate(payload);
    if (issues) throw new WebhookError('schema_violation', { issues });
    normalized = eventsOf(endpoint, core, payload, raw, receivedAt, scope, payloadJson, input.headers);
  } catch (error) {
    if (!endpoint.options.quarantine || !(error instanceof WebhookError) || error.code !== 'schema_violation') throw error;
    return quarantine(endpoint, core, payload, error).then((kept) => ({ ok: true, ...kept, payload, quarantined: true }));
  }
  const { ledger } = core;
  if (isSeveral(normalized)) return acceptInTurn(ledger, normalized.several, core.deadlineMs).then((each) => ({ ok: true, ...each, payload }));
  const eventId = normalized.event.id;
  const accepted = ledger.dedupe.knows(normalized.event, normalized.fingerprint) ? KNOWN_DUPLICATE : acceptWithin(ledger, normalized, core.deadlineMs);
  if (isThenable(accepted)) return accepted.then(({ duplicate }) => ({ ok: true, eventId, duplicate, payload }));
  return { ok: true, eventId, duplicate: accepted.duplicate, payload };
}

/**
 * A delivery that failed, as its outcome. Our faults and the host's misconfiguration reach onError; the sender's bad
 * input does not, nor a failed storage call, which the ledger's client reported already.
 */
function failed(endpoint: Endpoint, core: DeliveryCore, thrown: unknown, payload: unknown): DeliveryOutcome {
  const report = !(thrown instanceof StorageError) && (!(thrown instanceof WebhookError) || thrown.code === 'raw_body_unavailable');
  if (report) core.reportError(isNtwError(thrown) ? thrown : unexpected(thrown), { provider: endpoint.provider.name });
  const error = thrown instanceof WebhookError ? thrown
    : thrown instanceof StorageError ? new WebhookError('storage_unavailable', { cause: thrown })
      : thrown instanceof ConfigurationError ? new WebhookError('not_configured', { cause: thrown })
        : new WebhookError('handler_failed', { cause: thrown });
  return { ok: false, error, payload };
}

/**
 * The request as an authenticator sees it (`DeliveryRequest`). Authenticators are typed on Node's headers: what every
 * transport gives is that, a plain record by lower-cased name. The address is read only by a check that needs it
 * (Express's `req.ip` is computed on each read).
 */
class RequestToCheck implements DeliveryRequest {
  readonly headers: IncomingHttpHeaders;

  constructor(readonly method: string, private readonly input: DeliveryInput, readonly receivedAt: Date) {
    this.headers = input.headers as IncomingHttpHeaders;
  }

  get ip(): string | undefined {
    return this.input.ip;
  }

  get clientCertificate(): ClientCertificate | undefined {
    return this.input.clientCertificate;
  }
}

/**
 * Record and run one event (or wait for its copy in flight) within `waitMs`; past it, `timeout` while the work goes
 * on. Work that ended at once (an in-process store, handlers that returned at once) is answered as it is: no deadline
 * could pass.
 */
function acceptWithin(ledger: Ledger, normalized: NormalizedEvent, waitMs: number): Accepted | Promise<Accepted> {
  const { event } = normalized;
  const accepted = ledger.dedupe.once(event, normalized.fingerprint, waitMs, () => accept(ledger, normalized));
  if (!isThenable(accepted)) return accepted;
  return withDeadline(accepted, waitMs, () => {
    log.warn({ provider: event.provider, eventId: event.id, code: 'timeout' }, `passed the ${waitMs} ms deadline: answering retry-later while the run goes on`, ledger.logger);
    return new WebhookError('timeout');
  });
}

/**
 * A delivery of several events: each deduped and run on its own, in the order sent, all within the delivery's
 * deadline (one not yet started when it passes is left to the provider's retry, which finds the others duplicates).
 */
async function acceptInTurn(ledger: Ledger, events: readonly NormalizedEvent[], deadlineMs: number): Promise<ReturnType<typeof severalOutcome>> {
  const until = performance.now() + deadlineMs;
  const outcomes: EventOutcome[] = [];
  for (const normalized of events) {
    const key = { provider: normalized.event.provider, id: normalized.event.id };
    const left = until - performance.now();
    if (left <= 0) {
      log.warn({ provider: key.provider, eventId: key.id, code: 'timeout' }, `not started: the delivery passed the ${deadlineMs} ms deadline; answering retry-later`, ledger.logger);
      throw new WebhookError('timeout');
    }
    const accepted = ledger.dedupe.knows(key, normalized.fingerprint) ? KNOWN_DUPLICATE : await acceptWithin(ledger, normalized, left);
    log.debug({ provider: key.provider, eventId: key.id, duplicate: accepted.duplicate }, 'one event of the delivery accepted', ledger.logger);
    outcomes.push({ eventId: key.id, duplicate: accepted.duplicate });
  }
  return severalOutcome(outcomes);
}
