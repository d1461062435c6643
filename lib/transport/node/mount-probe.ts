import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { duplexPair } from 'node:stream';
import { ConfigurationError } from '../../errors';
import { logger } from '../../log';
import type { Logger } from '../../log';
import type { Mount } from './mount-check';

const log = logger('mount');

/**
 * Set on the request of a probe by `ready({ app })`, and looked for by the endpoints. A symbol property of the
 * request object, not a header: nothing a sender puts on the wire can set it, so no delivery can pass for a probe.
 */
export const PROBE = Symbol.for('network-token-webhooks.mount-probe');

/** What an endpoint that a probe reached tells it, instead of answering it as a delivery. */
export interface ProbeVisit {
  /** `bytesGone`: a host body parser consumed the body and kept none of its bytes. */
  reached(endpoint: object, bytesGone: boolean): void;
}

export type ProbedRequest = IncomingMessage & { [PROBE]?: ProbeVisit };

/** The endpoint's side: tell the probe what it found and answer it, touching nothing a delivery would. */
export function answerProbe(visit: ProbeVisit, endpoint: object, bytesGone: boolean, req: IncomingMessage, res: ServerResponse): void {
  if (typeof visit.reached === 'function') visit.reached(endpoint, bytesGone);
  res.statusCode = 204;
  res.end();
  req.resume();
}

/** What one probe request met in the app. */
interface ProbeResult {
  /** The endpoint it reached, and whether the body's bytes were gone there. */
  reached?: { readonly endpoint: object; readonly bytesGone: boolean };
  /** No route answered it: the app passed it on (`next()`), as Express does before its own 404. */
  fellThrough?: boolean;
  /** The status the app answered with, when it answered. */
  status?: number;
  /** Why it could not be sent or answered (an error passed to `next`, a thrown one, no answer in time). */
  failure?: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => unknown;

const PROBE_BODY = '{}';
const USER_AGENT = 'network-token-webhooks mount check';

/**
 * One request through `app`, in memory: a real Node HTTP exchange on a pair of connected streams, so the app's
 * middleware sees an `IncomingMessage` and a `ServerResponse` as from a client, with no port opened. Nothing
 * outlives it: both streams are destroyed once it is answered, failed, or `timeoutMs` passed.
 */
function send(app: Handler, method: 'GET' | 'POST', path: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const result: ProbeResult = {};
    const [client, server] = duplexPair();
    // The probe comes from this process: hosts' middleware reading the address (rate limiters, logs) sees loopback.
    Object.assign(server, { remoteAddress: '127.0.0.1', remoteFamily: 'IPv4', remotePort: 0 });
    let done = false;
    const finish = (failure?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (failure !== undefined && result.failure === undefined) result.failure = failure;
      client.destroy();
      server.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    timer.unref();
    const http = createServer((req, res) => {
      const visit: ProbeVisit = { reached: (endpoint, bytesGone) => { result.reached = { endpoint, bytesGone }; } };
      Object.defineProperty(req, PROBE, { value: visit });
      const next = (error?: unknown) => {
        if (error === undefined || error === 'route' || error === 'router') result.fellThrough = true;
        else result.failure = `the app passed on an error: ${error instanceof Error ? error.message : String(error)}`;
        if (!res.headersSent) res.statusCode = 404;
        res.end();
      };
      try {
        void Promise.resolve(app(req, res, next)).catch((error: unknown) => finish(`the app rejected: ${String(error)}`));
      } catch (error) {
        finish(`the app threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    http.on('clientError', (error) => finish(`the request was refused: ${error.message}`));
    http.emit('connection', server);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (method === 'POST') Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(PROBE_BODY.length) });
    const out = request({ method, path, headers, createConnection: () => client as unknown as Socket }, (res) => {
      result.status = res.statusCode;
      res.resume();
      res.once('end', () => finish());
      res.once('error', (error) => finish(error.message));
    });
    out.on('error', (error) => finish(error.message));
    out.end(method === 'POST' ? PROBE_BODY : undefined);
  });
}

/** Paths a request can be sent to as they are (no parameters, wildcards or patterns). */
const LITERAL_PATH = /^(?:\/[\w.~-]+)+$/;

const where = (m: Mount) => `the ${m.provider} endpoint at ${JSON.stringify(m.path)}`;

const answered = (r: ProbeResult) => r.failure ?? (r.fellThrough ? 'no route answered' : `the app answered ${r.status ?? 'nothing'}`);

/**
 * The mount mistakes only a request can show, found by sending one through `app` to each endpoint that needs it:
 * - `ERR_NTW_MOUNT_BODY_PARSED`: a host body parser before an endpoint that verifies the raw bytes consumed them;
 * - `ERR_NTW_MOUNT_HEALTH_CHECK`: a sender's GET health check does not reach the endpoint (`app.post(path, …)`).
 * A probe is answered by the endpoint without touching storage, handlers, telemetry or `onRefused`. When host
 * middleware answers it instead (authentication, a rate limiter) and that is no sign of either mistake, the
 * endpoint is not checked: logged (a warning), never a failure, so a correct app always starts.
 */
export async function probeMounts(app: unknown, mounts: readonly Mount[], timeoutMs = 2000, logTo?: Logger): Promise<ConfigurationError[]> {
  if (typeof app !== 'function') return [];
  const handler = app as Handler;
  const problems: ConfigurationError[] = [];
  for (const m of mounts) {
    if (!m.needs || (!m.needs.rawBody && !m.needs.healthCheck)) continue;
    if (!LITERAL_PATH.test(m.path)) {
      log.warn({ provider: m.provider }, `mount check: ${where(m)} is not a literal path; its body parser and health check are not checked`, logTo);
      continue;
    }
    if (m.needs.rawBody) {
      const r = await send(handler, 'POST', m.path, timeoutMs);
      if (r.reached?.endpoint === m.handle) {
        if (r.reached.bytesGone) {
          problems.push(new ConfigurationError('ERR_NTW_MOUNT_BODY_PARSED',
            `${where(m)} gets its requests after a body parser consumed them (express.json() or express.urlencoded()) and kept no bytes: `
            + `its signature is over the exact bytes, so every delivery would be answered 500 raw_body_unavailable. Mount the endpoint before `
            + `the parser, or keep the bytes: express.json({ verify: (req, res, buf) => { req.rawBody = buf } })`));
        }
      } else {
        log.warn({ provider: m.provider }, `mount check: a POST to ${where(m)} did not reach it (${answered(r)}); its body parser is not checked`, logTo);
      }
    }
    if (m.needs.healthCheck) {
      const r = await send(handler, 'GET', m.path, timeoutMs);
      if (r.reached?.endpoint === m.handle) continue;
      // The app's 404 (or 405) is the mistake's sign only where the router shows the endpoint takes no GET.
      const noGet = m.methods !== 'all' && !m.methods.includes('get');
      if (r.failure === undefined && (r.fellThrough || (noGet && (r.status === 404 || r.status === 405)))) {
        problems.push(new ConfigurationError('ERR_NTW_MOUNT_HEALTH_CHECK',
          `${where(m)} does not get GET requests (${answered(r)}): ${m.provider} checks the webhook URL's health with a GET, and its `
          + `subscription would turn unhealthy. Mount it with app.use(path, …) or app.all(path, …)`));
      } else {
        log.warn({ provider: m.provider }, `mount check: a GET to ${where(m)} did not reach it (${answered(r)}); its health check is not checked`, logTo);
      }
    }
  }
  return problems;
}
