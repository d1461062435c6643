import getRawBody from 'raw-body';
import { WebhookError } from '../errors';
import { bodyDeadline } from './body-deadline';
import type { BodyStream } from './request';

export interface StreamLimits {
  /** Largest body, in bytes (as sent, before any content coding is undone). */
  readonly limit: number;
  /** Longest wait for the whole body, in ms. */
  readonly bodyTimeoutMs: number;
  /** The `Content-Length` announced, if any: a body announced larger than `limit` is refused before a byte is read. */
  readonly length: string | undefined;
}

const isNodeStream = (stream: BodyStream): stream is NodeJS.ReadableStream =>
  typeof (stream as NodeJS.ReadableStream).pipe === 'function' && typeof (stream as NodeJS.ReadableStream).on === 'function';

const isWebStream = (stream: BodyStream): stream is ReadableStream<Uint8Array> =>
  typeof (stream as ReadableStream<Uint8Array>).getReader === 'function';

/** A chunk as bytes: a stream of strings (a Node stream with an encoding set) is read as UTF-8. */
const bytesOf = (chunk: Uint8Array | string): Buffer =>
  (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));

/**
 * The one place a body is read off the wire, whatever the transport: at most `limit` bytes (`413
 * payload_too_large`, from the announced length before reading when there is one), within `bodyTimeoutMs`
 * (a body trickled slower is `408 body_timeout`). A Node stream is read by raw-body, as body-parser reads it;
 * a WHATWG stream or any async iterable chunk by chunk. A read stopped early leaves the rest unread: what
 * becomes of the connection is the transport's to decide.
 */
export function readStream(stream: BodyStream, limits: StreamLimits): Promise<Buffer> {
  if (isNodeStream(stream)) return readNodeStream(stream, limits);
  const declared = limits.length === undefined ? undefined : Number(limits.length);
  if (declared !== undefined && Number.isFinite(declared) && declared > limits.limit) return Promise.reject(new WebhookError('payload_too_large'));
  return isWebStream(stream) ? readWebStream(stream, limits, declared) : readIterable(stream, limits, declared);
}

function readNodeStream(stream: NodeJS.ReadableStream, limits: StreamLimits): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const cancel = bodyDeadline(limits.bodyTimeoutMs, () => reject(new WebhookError('body_timeout')));
    getRawBody(stream, { limit: limits.limit, length: limits.length }, (err, body) => {
      cancel();
      if (!err) resolve(body);
      else if ((err as { type?: string }).type === 'entity.too.large') reject(new WebhookError('payload_too_large'));
      else reject(new WebhookError('invalid_body', { cause: err }));
    });
  });
}

/** Chunks gathered up to the limit; the announced length, when there is one, must be what arrived. */
class Gathered {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number, private readonly declared: number | undefined) {}

  add(chunk: Uint8Array | string): void {
    const bytes = bytesOf(chunk);
    this.size += bytes.length;
    if (this.size > this.limit) throw new WebhookError('payload_too_large');
    this.chunks.push(bytes);
  }

  body(): Buffer {
    if (this.declared !== undefined && Number.isFinite(this.declared) && this.size !== this.declared) {
      throw new WebhookError('invalid_body', { message: 'Request body length does not match its Content-Length.' });
    }
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
  }
}

/** The next chunk, or `done`. */
type Next = () => Promise<{ readonly done?: boolean; readonly value?: Uint8Array | string }>;

/**
 * Chunks until the end, each counted against the limit, all within the deadline. Past it, or past the limit, the
 * read stops and `release` lets go of the stream without cancelling it (a fetch adapter on a Node server would
 * otherwise destroy the socket before the answer is written).
 */
async function readChunks(next: Next, release: () => void, limits: StreamLimits, declared: number | undefined): Promise<Buffer> {
  const gathered = new Gathered(limits.limit, declared);
  let stop: (error: WebhookError) => void = () => undefined;
  const stopped = new Promise<never>((_resolve, reject) => { stop = reject; });
  const cancel = bodyDeadline(limits.bodyTimeoutMs, () => stop(new WebhookError('body_timeout')));
  try {
    for (;;) {
      const { done, value } = await Promise.race([next(), stopped]);
      if (done) break;
      if (value !== undefined) gathered.add(value);
    }
    return gathered.body();
  } catch (error) {
    throw error instanceof WebhookError ? error : new WebhookError('invalid_body', { cause: error });
  } finally {
    cancel();
    try {
      release();
    } catch {
      // a stream that cannot be let go of while a read is pending: it is left as it is
    }
  }
}

function readWebStream(stream: ReadableStream<Uint8Array>, limits: StreamLimits, declared: number | undefined): Promise<Buffer> {
  const reader = stream.getReader();
  return readChunks(() => reader.read(), () => reader.releaseLock(), limits, declared);
}

function readIterable(stream: AsyncIterable<Uint8Array>, limits: StreamLimits, declared: number | undefined): Promise<Buffer> {
  const iterator = stream[Symbol.asyncIterator]();
  let ended = false;
  const next = async () => {
    const step = await iterator.next();
    ended = step.done === true;
    return step;
  };
  // An iterator not read to its end is told so (`return`), as `for await` does when it breaks.
  const release = () => { if (!ended) void Promise.resolve(iterator.return?.()).catch(() => undefined); };
  return readChunks(next, release, limits, declared);
}
