import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { WebhookError } from '../errors';
import type { DeliveryInput } from '../pipeline/read-body';
import { checkContentType } from '../pipeline/read-body';
import { bodyDeadline } from './body-deadline';
import { clientCertificateOf } from './client-certificate';

/** What a host app's body parser may have left on the request. */
export interface MaybeParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
  ip?: string;
}

export interface ReadLimits {
  /** Largest body, in bytes. */
  readonly limit: number;
  /** Longest wait for the whole body, in ms. */
  readonly bodyTimeoutMs: number;
}

function streamConsumed(req: MaybeParsedRequest): boolean {
  return req._body === true || req.readableEnded || req.readable === false;
}

/** A host parser consumed the body and kept none of its bytes: what `readRequest` would hand on is the parsed object only. */
export function bytesGone(req: MaybeParsedRequest): boolean {
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string' || Buffer.isBuffer(req.body)) return false;
  return streamConsumed(req) && typeof req.body !== 'string';
}

/** A host parser decoded any Content-Encoding already: the headers the pipeline sees must not say otherwise. */
function decodedHeaders(req: MaybeParsedRequest): IncomingMessage['headers'] {
  const { 'content-encoding': _coding, ...headers } = req.headers;
  return headers;
}

/**
 * The one place that reads a delivery's body off a Node request. Uses the bytes a host parser kept
 * (`req.rawBody`, or `req.body` from `express.raw()`/`express.text()`), or the object `express.json()` left,
 * else reads the stream itself: at most `limit` bytes, within `bodyTimeoutMs` (a body trickled slower than
 * that is `408 body_timeout`). It never waits on a stream an earlier parser consumed.
 */
export async function readRequest(req: MaybeParsedRequest, limits: ReadLimits): Promise<DeliveryInput> {
  checkContentType(req.headers['content-type']);
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string') return input(req, decodedHeaders(req), { rawBody: req.rawBody });
  if (Buffer.isBuffer(req.body)) return input(req, decodedHeaders(req), { rawBody: req.body });
  if (streamConsumed(req)) {
    if (typeof req.body === 'string') return input(req, decodedHeaders(req), { rawBody: req.body });
    return input(req, decodedHeaders(req), { parsedBody: req.body });
  }
  const rawBody = await new Promise<Buffer>((resolve, reject) => {
    const cancel = bodyDeadline(limits.bodyTimeoutMs, () => reject(new WebhookError('body_timeout')));
    getRawBody(req, { limit: limits.limit, length: req.headers['content-length'] }, (err, body) => {
      cancel();
      if (!err) resolve(body);
      else if ((err as { type?: string }).type === 'entity.too.large') reject(new WebhookError('payload_too_large'));
      else reject(new WebhookError('invalid_body', { cause: err }));
    });
  });
  return input(req, req.headers, { rawBody });
}

/** The delivery as the pipeline takes it; the client address is looked up only if a check reads it. */
function input(req: MaybeParsedRequest, headers: IncomingMessage['headers'], body: Pick<DeliveryInput, 'rawBody' | 'parsedBody'>): DeliveryInput {
  return {
    method: req.method ?? '',
    headers,
    ...body,
    get ip() { return req.ip ?? req.socket?.remoteAddress; },
    get clientCertificate() { return clientCertificateOf(req); },
  };
}
