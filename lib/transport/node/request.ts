import type { IncomingMessage } from 'node:http';
import type { DeliveryInput } from '../../pipeline/request';
import { clientCertificateOf } from './client-certificate';

/** What a host app's body parser may have left on the request. */
export interface MaybeParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
  ip?: string;
}

/** The body of a request that has none. */
export const EMPTY = Buffer.alloc(0);

function streamConsumed(req: MaybeParsedRequest): boolean {
  return req._body === true || req.readableEnded || req.readable === false;
}

/** A host parser consumed the body and kept none of its bytes: what `deliveryInput` would hand on is the parsed object only. */
export function bytesGone(req: MaybeParsedRequest): boolean {
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string' || Buffer.isBuffer(req.body)) return false;
  return streamConsumed(req) && typeof req.body !== 'string';
}

/** A host parser decoded any Content-Encoding already: the headers the pipeline sees must not say otherwise. */
function decodedHeaders(req: MaybeParsedRequest): IncomingMessage['headers'] {
  const { 'content-encoding': _coding, ...headers } = req.headers;
  return headers;
}

/** HTTP/1.1: a request announces its body by `Content-Length` or `Transfer-Encoding`; one with neither, or a length of 0, has none. */
export function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined);
}

/**
 * A Node request as the pipeline takes it, which reads and judges it. The body: the bytes a host parser kept
 * (`req.rawBody`, or `req.body` from `express.raw()`/`express.text()`), or the object `express.json()` left, else
 * the request stream itself, which the pipeline reads. It never hands on a stream an earlier parser consumed.
 */
export function deliveryInput(req: MaybeParsedRequest): DeliveryInput {
  if (Buffer.isBuffer(req.rawBody) || typeof req.rawBody === 'string') return input(req, decodedHeaders(req), { rawBody: req.rawBody });
  if (Buffer.isBuffer(req.body)) return input(req, decodedHeaders(req), { rawBody: req.body });
  if (streamConsumed(req)) {
    if (typeof req.body === 'string') return input(req, decodedHeaders(req), { rawBody: req.body });
    return input(req, decodedHeaders(req), { parsedBody: req.body });
  }
  if (hasNoBody(req)) return input(req, req.headers, { rawBody: EMPTY });
  return input(req, req.headers, { stream: req });
}

/** The delivery as the pipeline takes it. */
function input(req: MaybeParsedRequest, headers: IncomingMessage['headers'], body: Pick<DeliveryInput, 'rawBody' | 'parsedBody' | 'stream'>): DeliveryInput {
  return new NodeDelivery(req, headers, body);
}

/**
 * A Node request as a `DeliveryInput`: the client address and certificate are looked up only if a check reads
 * them. A class, its getters shared, rather than a literal of accessors made per request.
 */
class NodeDelivery implements DeliveryInput {
  readonly method: string;
  readonly rawBody: DeliveryInput['rawBody'];
  readonly parsedBody: unknown;
  readonly stream: DeliveryInput['stream'];
  readonly #req: MaybeParsedRequest;

  constructor(req: MaybeParsedRequest, readonly headers: IncomingMessage['headers'], body: Pick<DeliveryInput, 'rawBody' | 'parsedBody' | 'stream'>) {
    this.#req = req;
    this.method = req.method ?? '';
    this.rawBody = body.rawBody;
    this.parsedBody = body.parsedBody;
    this.stream = body.stream;
  }

  get ip(): string | undefined {
    return this.#req.ip ?? this.#req.socket?.remoteAddress;
  }

  get clientCertificate(): DeliveryInput['clientCertificate'] {
    return clientCertificateOf(this.#req);
  }
}
