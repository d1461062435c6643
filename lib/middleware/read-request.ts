import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { WebhookError } from '../errors';
import type { DeliveryInput } from '../pipeline/read-body';
import { checkContentType } from '../pipeline/read-body';

/** What a host app's body parser may have left on the request. */
export interface MaybeParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
  ip?: string;
}

function streamConsumed(req: MaybeParsedRequest): boolean {
  return req._body === true || req.readableEnded || req.readable === false;
}

/**
 * The one place that reads a delivery's body off a Node request. Uses the raw bytes a host parser kept
 * (`req.rawBody`, or `req.body` from `express.raw()`/`express.text()`), or the object `express.json()`
 * left, else reads the stream itself. It never waits on a stream an earlier parser consumed.
 */
export async function readRequest(req: MaybeParsedRequest, limit: number): Promise<DeliveryInput> {
  const base = { method: req.method ?? '', headers: req.headers, ip: req.ip ?? req.socket?.remoteAddress };
  checkContentType(req.headers['content-type']);
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string') return { ...base, rawBody: req.rawBody };
  if (Buffer.isBuffer(req.body)) return { ...base, rawBody: req.body };
  if (streamConsumed(req)) {
    if (typeof req.body === 'string') return { ...base, rawBody: req.body };
    return { ...base, parsedBody: req.body };
  }
  try {
    return { ...base, rawBody: await getRawBody(req, { limit, length: req.headers['content-length'] }) };
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new WebhookError('payload_too_large');
    throw new WebhookError('invalid_body', { cause: err });
  }
}
