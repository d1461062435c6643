import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookError } from '../errors';
import type { DeliveryOutcome, DeliveryRequest, Provider, ProviderOptions } from '../providers/provider';
import { jsonAcknowledgement } from '../providers/provider';
import { secretRedactor } from '../redact';
import { logger } from '../log';
import { resolveAuthenticator } from './authenticate';
import type { EventProcessor, UnprojectedEvent } from './process-event';
import type { MaybeParsedRequest } from './read-body';
import { readBody } from './read-body';
import { checkJson, parseJson } from './parse-json';
import { compileValidator } from './validate';
import { respond } from './respond';

const log = logger('receive');

/** An Express-compatible request handler (Express 4 and 5), typed on Node's own request and response. */
export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface EndpointContext {
  readonly processor: EventProcessor;
  readonly now: () => Date;
  /** Deliveries get `shutting_down` once this returns true. */
  readonly closing: () => boolean;
  readonly reportError: (error: unknown, context: { provider: string }) => void;
}

const DEFAULT_LIMIT = 64 * 1024;

function deliveryRequest(req: IncomingMessage): DeliveryRequest {
  return { method: req.method ?? '', headers: req.headers, ip: (req as { ip?: string }).ip ?? req.socket?.remoteAddress };
}

/**
 * One provider's endpoint: the pipeline of SPEC section 4, top to bottom.
 * raw body → authenticity → JSON → schema → normalize → dedupe/persist/project/dispatch → acknowledge.
 */
export function createEndpoint<Raw, O extends ProviderOptions>(
  provider: Provider<string, Raw, O>, options: O, context: EndpointContext,
): WebhookMiddleware {
  const authenticator = resolveAuthenticator(provider as Provider<string, never, O>, options);
  const validate = compileValidator(options.schema ?? provider.schema);
  const acknowledge = provider.acknowledge ?? jsonAcknowledgement;
  const limit = options.limit ?? DEFAULT_LIMIT;
  const redactSecrets = secretRedactor(provider.secretKeys);

  function normalize(payload: Raw, rawBody: Buffer): UnprojectedEvent {
    try {
      const fields = provider.normalize(payload, options);
      const receivedAt = context.now();
      const occurredAt = fields.occurredAt && !Number.isNaN(fields.occurredAt.getTime()) ? fields.occurredAt : receivedAt;
      return {
        ...fields,
        changes: fields.changes ?? [],
        id: provider.eventId(payload, rawBody, options),
        provider: provider.name,
        occurredAt,
        receivedAt,
        raw: payload,
      } as UnprojectedEvent;
    } catch (error) {
      // The schema let through something the provider module cannot read: still the sender's payload at fault.
      log('%s normalize failed: %s', provider.name, (error as Error).message);
      throw new WebhookError('schema_violation', { issues: [{ path: '/', message: 'payload cannot be normalized' }] });
    }
  }

  /** `seen.payload` keeps the parsed payload for the answer, whatever step fails after parsing. */
  async function deliver(req: MaybeParsedRequest, seen: { payload?: unknown }): Promise<{ eventId: string; duplicate: boolean; payload: unknown }> {
    const body = await readBody(req, { limit, requireRaw: authenticator?.requiresRawBody ?? false });
    if (authenticator) {
      let authentic: boolean;
      try {
        authentic = await authenticator.authenticate(deliveryRequest(req), body.raw);
      } catch (error) {
        log('%s authenticate threw: %s', provider.name, (error as Error)?.message);
        authentic = false;
      }
      if (!authentic) throw new WebhookError('unauthorized');
    }
    const payload = body.parsed === undefined ? parseJson(body.raw) : checkJson(body.parsed);
    seen.payload = payload;
    const issues = validate(payload);
    if (issues) throw new WebhookError('schema_violation', { issues });
    const event = normalize(payload as Raw, body.raw);
    const { duplicate } = await context.processor.process(event, redactSecrets(payload));
    return { eventId: event.id, duplicate, payload };
  }

  return function webhookEndpoint(req, res, next) {
    const answer = (outcome: DeliveryOutcome) => {
      const retryable = !outcome.ok && outcome.error.retryable;
      const oversized = !outcome.ok && outcome.error.code === 'payload_too_large';
      // An oversized body is not drained (it may be huge): the connection closes after the answer.
      if (oversized && !res.headersSent) res.setHeader('Connection', 'close');
      respond(res, acknowledge(outcome), retryable);
      if (!oversized && !req.readableEnded) req.resume(); // drain what we did not read so the connection stays usable
    };
    if (req.method === 'GET' && provider.healthCheck) {
      respond(res, { status: 200, body: { status: 'ok' } }, false);
      return;
    }
    const seen: { payload?: unknown } = {};
    const run = async () => {
      if (req.method !== 'POST') throw new WebhookError('method_not_allowed');
      if (context.closing()) throw new WebhookError('shutting_down');
      return deliver(req, seen);
    };
    run().then(
      (result) => {
        log('%s %s accepted%s', provider.name, result.eventId, result.duplicate ? ' (duplicate)' : '');
        answer({ ok: true, ...result });
      },
      (thrown: unknown) => {
        // Our faults and the host's misconfiguration reach onError; the sender's bad input does not.
        if (!(thrown instanceof WebhookError) || thrown.code === 'raw_body_unavailable') context.reportError(thrown, { provider: provider.name });
        const error = thrown instanceof WebhookError ? thrown : new WebhookError('handler_failed', { cause: thrown });
        log('%s rejected: %s %s', provider.name, error.status, error.code);
        answer({ ok: false, error, payload: seen.payload });
      },
    ).catch(next);
  };
}

