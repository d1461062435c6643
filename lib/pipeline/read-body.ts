import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';
import { parse as parseContentType } from 'content-type';
import { WebhookError } from '../errors';

/** What a host app's body parser may have left on the request. */
export interface MaybeParsedRequest extends IncomingMessage {
  body?: unknown;
  rawBody?: unknown;
  _body?: boolean;
}

export interface ReceivedBody {
  /** The bytes to authenticate, hash and parse. */
  readonly raw: Buffer;
  /** Set when an earlier body parser already parsed the JSON and kept no raw bytes. */
  readonly parsed?: unknown;
}

export function checkContentType(header: string | undefined): void {
  if (!header) throw new WebhookError('unsupported_media_type');
  let parsed;
  try {
    parsed = parseContentType(header);
  } catch {
    throw new WebhookError('unsupported_media_type');
  }
  const json = parsed.type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(parsed.type);
  const charset = parsed.parameters.charset?.toLowerCase();
  if (!json || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new WebhookError('unsupported_media_type');
  }
}

function streamConsumed(req: MaybeParsedRequest): boolean {
  return req._body === true || req.readableEnded || req.readable === false;
}

function withinLimit(raw: Buffer, limit: number): Buffer {
  if (raw.length > limit) throw new WebhookError('payload_too_large');
  return raw;
}

/**
 * The one place that reads a delivery's body. Uses the raw bytes a host parser kept
 * (`req.rawBody`, or `req.body` from `express.raw()`/`express.text()`), else reads the stream itself.
 * It never waits on a stream an earlier parser consumed.
 */
export async function readBody(req: MaybeParsedRequest, options: { limit: number; requireRaw: boolean }): Promise<ReceivedBody> {
  checkContentType(req.headers['content-type']);
  if (Buffer.isBuffer(req.rawBody)) return { raw: withinLimit(req.rawBody, options.limit) };
  if (typeof req.rawBody === 'string') return { raw: withinLimit(Buffer.from(req.rawBody, 'utf8'), options.limit) };
  if (Buffer.isBuffer(req.body)) return { raw: withinLimit(req.body, options.limit) };

  if (streamConsumed(req)) {
    if (typeof req.body === 'string') return { raw: withinLimit(Buffer.from(req.body, 'utf8'), options.limit) };
    if (options.requireRaw || req.body === undefined || req.body === null) throw new WebhookError('raw_body_unavailable');
    // No signature over the bytes: the parsed object is as good, and its JSON stands in for hashing.
    return { raw: Buffer.from(JSON.stringify(req.body), 'utf8'), parsed: req.body };
  }

  try {
    return { raw: await getRawBody(req, { limit: options.limit, length: req.headers['content-length'] }) };
  } catch (err) {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') throw new WebhookError('payload_too_large');
    throw new WebhookError('invalid_body', { cause: err });
  }
}
