import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Received } from '../../pipeline/acknowledge';
import type { DeliveryOutcome } from '../../providers/provider';

/** An unread body up to this size is drained after the answer, so the connection can serve the next request. */
const DRAIN_BOUND = 64 * 1024;

/**
 * After the answer, a body left unread (refused before it was read, too large, too slow) is drained only when it
 * is small and announced; otherwise the connection is closed, so a sender cannot make us read gigabytes. A body
 * that came too slowly always closes it.
 */
export function mustClose(req: IncomingMessage, outcome: DeliveryOutcome): boolean {
  if (!outcome.ok && outcome.error.code === 'body_timeout') return true;
  if (req.readableEnded) return false;
  const length = req.headers['content-length'];
  if (length === undefined && req.headers['transfer-encoding'] === undefined) return false; // no body at all
  const bytes = Number(length);
  return !(Number.isFinite(bytes) && bytes <= DRAIN_BOUND);
}

/** What to do with the request stream once the answer is written: drain what is left, or drop the connection. */
export function release(req: IncomingMessage, res: ServerResponse, close: boolean): void {
  if (close) res.once('finish', () => req.destroy());
  else if (!req.readableEnded) req.resume();
}

/** Write the answer with Node's own API, so it works under Express 4, 5 or none; drain or close as `mustClose` says. */
export function respond(req: IncomingMessage, res: ServerResponse, response: Received): void {
  const close = mustClose(req, response.outcome);
  if (!res.headersSent) {
    res.statusCode = response.status;
    const { headers } = response;
    for (const name in headers) res.setHeader(name, headers[name]!);
    if (close) res.setHeader('connection', 'close');
    res.setHeader('content-length', Buffer.byteLength(response.body));
    res.end(response.body);
  }
  release(req, res, close);
}
