import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookError } from '../errors';
import type { DeliveryCore } from '../pipeline/core';
import type { Endpoint } from '../pipeline/endpoint';
import { runPipeline } from '../pipeline/deliver';
import { isHealthCheck } from '../pipeline/health-check';
import type { DeliveryOutcome } from '../providers/provider';
import type { MaybeParsedRequest, ReadLimits } from './read-request';
import { bytesGone, readRequest } from './read-request';
import { respond } from './respond';
import { observeDelivery } from '../pipeline/observe-delivery';
import { ENDPOINT_MARK, ENDPOINT_NEEDS, findMounts, mountProblems } from './mount-check';
import type { EndpointNeeds } from './mount-check';
import { PROBE, answerProbe } from './mount-probe';
import type { ProbedRequest } from './mount-probe';

/** An Express-compatible request handler (Express 4 and 5), typed on Node's own request and response. */
export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** An unread body up to this size is drained after the answer, so the connection can serve the next request. */
const DRAIN_BOUND = 64 * 1024;

/**
 * After the answer, a body left unread (refused before it was read, too large, too slow) is drained only when it
 * is small and announced; otherwise the connection is closed, so a sender cannot make us read gigabytes.
 */
function closeOrDrain(req: IncomingMessage): boolean {
  if (req.readableEnded) return false;
  const length = Number(req.headers['content-length']);
  return !(Number.isFinite(length) && length <= DRAIN_BOUND);
}

/** Express apps whose mounts were checked, at the first request one of our endpoints saw there. */
const checkedApps = new WeakSet<object>();

/** Mount mistakes the app's router shows reach `onError` once (`webhooks.ready({ app })` throws them at start-up instead). */
function checkMountsOnce(req: ExpressRequest, core: DeliveryCore, provider: string): void {
  const app = req.app;
  if (typeof app !== 'function' || checkedApps.has(app)) return;
  checkedApps.add(app);
  for (const problem of mountProblems(findMounts(app))) core.reportError(problem, { provider });
}

/** What Express adds to a request that this adapter looks at. */
interface ExpressRequest extends IncomingMessage {
  readonly app?: unknown;
  readonly baseUrl?: string;
  readonly route?: unknown;
}

/** One request through the pipeline: a health check as it is, a delivery once its body is read. */
async function receive(endpoint: Endpoint, core: DeliveryCore, req: IncomingMessage, limits: ReadLimits): Promise<DeliveryOutcome> {
  try {
    const method = req.method ?? '';
    if (isHealthCheck(endpoint.provider, { method, headers: req.headers })) return await runPipeline(endpoint, core, { method, headers: req.headers });
    if (method !== 'POST') throw new WebhookError('method_not_allowed');
    return await runPipeline(endpoint, core, await readRequest(req as MaybeParsedRequest, limits));
  } catch (error) {
    if (error instanceof WebhookError) return { ok: false, error, payload: undefined };
    throw error;
  }
}

/** The Node/Express adapter around `runPipeline`: read the request, run the pipeline, write the answer. */
export function nodeMiddleware(endpoint: Endpoint, core: DeliveryCore): WebhookMiddleware {
  const limits: ReadLimits = { limit: endpoint.limit, bodyTimeoutMs: endpoint.bodyTimeoutMs };
  const middleware: WebhookMiddleware = function webhookEndpoint(req: ExpressRequest, res, next) {
    // ready({ app })'s probe: answered here, before anything a delivery touches.
    const probe = (req as ProbedRequest)[PROBE];
    if (probe !== undefined) {
      answerProbe(probe, middleware, bytesGone(req), req, res);
      return;
    }
    checkMountsOnce(req, core, endpoint.provider.name);
    // Mounted without a path (reported above), it must not take over the app's other routes: only POSTs are deliveries.
    if (req.baseUrl === '' && req.route === undefined && req.method !== 'POST') {
      next();
      return;
    }
    observeDelivery(core, endpoint, () => receive(endpoint, core, req, limits)).then(({ outcome, response }) => {
      const close = closeOrDrain(req) || (!outcome.ok && outcome.error.code === 'body_timeout');
      if (close && !res.headersSent) res.setHeader('connection', 'close');
      respond(res, response);
      if (close) res.once('finish', () => req.destroy());
      else if (!req.readableEnded) req.resume();
    }).catch(next);
  };
  Object.defineProperty(middleware, ENDPOINT_MARK, { value: endpoint.provider.name });
  const needs: EndpointNeeds = { rawBody: endpoint.requireRaw, healthCheck: endpoint.provider.healthCheck === true };
  Object.defineProperty(middleware, ENDPOINT_NEEDS, { value: needs });
  return middleware;
}
