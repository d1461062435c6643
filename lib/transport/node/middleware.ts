import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeliveryCore } from '../../pipeline/core';
import type { Endpoint } from '../../pipeline/endpoint';
import { receive } from '../../pipeline/receive';
import type { MaybeParsedRequest } from './request';
import { bytesGone, deliveryInput } from './request';
import { respond } from './respond';
import { ENDPOINT_MARK, ENDPOINT_NEEDS, findMounts, mountProblems } from './mount-check';
import type { EndpointNeeds } from './mount-check';
import { PROBE, answerProbe } from './mount-probe';
import type { ProbedRequest } from './mount-probe';

/** An Express-compatible request handler (Express 4 and 5), typed on Node's own request and response. */
export type WebhookMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

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

/**
 * The Node/Express adapter around `receive`: the request as the pipeline takes it, the answer written back, the
 * connection drained or closed. What is Express's own stays here: the mount checks and `ready({ app })`'s probe.
 */
export function nodeMiddleware(endpoint: Endpoint, core: DeliveryCore): WebhookMiddleware {
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
    receive(endpoint, core, deliveryInput(req as MaybeParsedRequest)).then((received) => respond(req, res, received)).catch(next);
  };
  Object.defineProperty(middleware, ENDPOINT_MARK, { value: endpoint.provider.name });
  const needs: EndpointNeeds = { rawBody: endpoint.requireRaw, healthCheck: endpoint.provider.healthCheck === true };
  Object.defineProperty(middleware, ENDPOINT_NEEDS, { value: needs });
  return middleware;
}
