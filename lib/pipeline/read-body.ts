import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { parse as parseContentType } from 'content-type';
import { WebhookError } from '../errors';
import type { Endpoint } from './endpoint';
import type { BodyStream, DeliveryInput } from './request';
import { headerOf } from './request';
import { readStream } from './read-stream';
import { mayBeEmptyPost } from './health-check';

export interface ReceivedBody {
  /** The bytes to authenticate, hash and parse. */
  readonly raw: Buffer;
  /** Set when an earlier body parser already parsed the JSON and kept no raw bytes. */
  readonly parsed?: unknown;
}

/** The last Content-Type accepted: senders send the same one every time, so it is parsed once. */
let acceptedType: string | undefined;

export function checkContentType(header: string | string[] | undefined): void {
  if (header === acceptedType && header !== undefined) return;
  if (typeof header !== 'string' || header === '') throw new WebhookError('unsupported_media_type');
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
  acceptedType = header;
}

function withinLimit(raw: Buffer, limit: number): Buffer {
  if (raw.length > limit) throw new WebhookError('payload_too_large');
  return raw;
}

/**
 * The body as the provider signed it: decoded from a `Content-Encoding` of gzip, deflate or br, at most
 * `limit` bytes decoded (a decompression bomb stops at the limit: `payload_too_large`). Any other coding,
 * or several, is `415 unsupported_content_encoding` (RFC 9110 section 15.5.16).
 */
export function decodeBody(raw: Buffer, encoding: string | string[] | undefined, limit: number): Buffer {
  const coding = typeof encoding === 'string' ? encoding.trim().toLowerCase() : encoding === undefined ? '' : 'several';
  if (coding === '' || coding === 'identity') return raw;
  const options = { maxOutputLength: limit };
  try {
    switch (coding) {
      case 'gzip': case 'x-gzip': return gunzipSync(raw, options);
      case 'br': return brotliDecompressSync(raw, options);
      // "deflate" is the zlib format; some senders send a raw deflate stream under that name.
      case 'deflate': return raw[0] !== undefined && (raw[0] & 0x0f) === 8 ? inflateSync(raw, options) : inflateRawSync(raw, options);
      default: throw new WebhookError('unsupported_content_encoding');
    }
  } catch (error) {
    if (error instanceof WebhookError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new WebhookError('payload_too_large');
    throw new WebhookError('invalid_body', { message: 'Request body could not be decoded.' });
  }
}

/** The bytes as a Buffer, sharing their memory. */
const bufferOf = (bytes: Buffer | Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

/**
 * Step 1: the body as the pipeline uses it. JSON content type; the bytes given, or those of the stream read here
 * (size limit, body deadline), decoded from their content coding; the size limit applies to the decoded bytes
 * too, or to the JSON of a body parsed earlier. A signature check (`requireRaw`) never runs on a re-serialized
 * body. `undefined`: a streamed `POST` found empty, to an endpoint whose provider pings (a health check).
 */
export function readBody(input: DeliveryInput, endpoint: Pick<Endpoint, 'provider' | 'limit' | 'bodyTimeoutMs' | 'requireRaw'>): ReceivedBody | undefined | Promise<ReceivedBody | undefined> {
  const { rawBody, headers } = input;
  // A stream no header announces may be an empty health check: it is read before its content type is judged.
  const unannounced = mayBeEmptyPost(endpoint.provider, input);
  if (!unannounced) checkContentType(headers['content-type']);
  if (typeof rawBody === 'string') return { raw: withinLimit(Buffer.from(rawBody, 'utf8'), endpoint.limit) };
  if (rawBody !== undefined) return { raw: withinLimit(decodeBody(bufferOf(rawBody), headers['content-encoding'], endpoint.limit), endpoint.limit) };
  if (input.stream !== undefined) return readBodyStream(input.stream, input, endpoint, unannounced);
  if (input.parsedBody === undefined || input.parsedBody === null) throw new WebhookError('empty_body');
  if (endpoint.requireRaw) throw new WebhookError('raw_body_unavailable');
  // No signature over the bytes: the parsed object is as good, and its JSON stands in for hashing.
  return { raw: withinLimit(Buffer.from(JSON.stringify(input.parsedBody), 'utf8'), endpoint.limit), parsed: input.parsedBody };
}

/** The body still to be read: read here (the size limit, the body deadline), then judged as given bytes are. */
async function readBodyStream(stream: BodyStream, input: DeliveryInput, endpoint: Pick<Endpoint, 'provider' | 'limit' | 'bodyTimeoutMs'>,
  unannounced: boolean): Promise<ReceivedBody | undefined> {
  const { headers } = input;
  const read = await readStream(stream, { limit: endpoint.limit, bodyTimeoutMs: endpoint.bodyTimeoutMs, length: headerOf(headers, 'content-length') });
  if (read.length === 0 && endpoint.provider.healthCheck) return undefined;
  if (unannounced) checkContentType(headers['content-type']);
  return { raw: withinLimit(decodeBody(read, headers['content-encoding'], endpoint.limit), endpoint.limit) };
}
