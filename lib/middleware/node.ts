import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookError } from '../errors';
import type { DeliveryCore } from '../pipeline/core';
import type { Endpoint } from '../pipeline/endpoint';
import { deliver } from '../pipeline/deliver';
import { acknowledge } from '../pipeline/acknowledge';
import { isHealthCheck } from '../pipeline/health-check';
import type { DeliveryOutcome } from '../providers/provider';
import type { MaybeParsedRequest } from './read-request';
import { readRequest } from './read-request';
import { respond } from './respond';

/** An Express-compatible request handler (Express 4 and 5), typed on Node's own request and response. */
export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The Node/Express adapter around `deliver`: read the request, run the pipeline, write the answer. */
export function nodeMiddleware(endpoint: Endpoint, core: DeliveryCore): WebhookMiddleware {
  return function webhookEndpoint(req, res, next) {
    const run = async (): Promise<DeliveryOutcome> => {
      try {
        if (isHealthCheck(endpoint.provider, { method: req.method ?? '', headers: req.headers })) return deliver(endpoint, core, { method: req.method ?? '', headers: req.headers });
        if (req.method !== 'POST') throw new WebhookError('method_not_allowed');
        return await deliver(endpoint, core, await readRequest(req as MaybeParsedRequest, endpoint.limit));
      } catch (error) {
        if (error instanceof WebhookError) return { ok: false, error, payload: undefined };
        throw error;
      }
    };
    run().then((outcome) => {
      const oversized = !outcome.ok && outcome.error.code === 'payload_too_large';
      // An oversized body is not drained (it may be huge): the connection closes after the answer.
      if (oversized && !res.headersSent) res.setHeader('connection', 'close');
      respond(res, acknowledge(endpoint, outcome));
      if (!oversized && !req.readableEnded) req.resume(); // drain what we did not read so the connection stays usable
    }).catch(next);
  };
}
