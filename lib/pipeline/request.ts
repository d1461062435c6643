import type { ClientCertificate } from '../auth/authenticator';

/** Request headers as any transport has them: a plain record by lower-cased name, a repeated header as an array. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * A body still to be read: a Node stream (an `IncomingMessage`), a WHATWG `ReadableStream` (a fetch `Request`'s
 * `body`), or any async iterable of byte chunks. The pipeline reads it with the endpoint's size limit and body deadline.
 */
export type BodyStream = NodeJS.ReadableStream | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * One delivery as any transport hands it to the pipeline, which judges all of it: the health check, the method,
 * the content type, the size limit, the body deadline and the content coding. Give the body one way: `rawBody` when
 * the bytes were read already, `stream` when they are still to be read, `parsedBody` when a host parser kept no bytes.
 */
export interface DeliveryInput {
  /** Default `POST`. */
  readonly method?: string;
  /** By lower-cased name, as Node, Fastify and a fetch `Headers` give them (`webhooks.receiver()` lower-cases them for you). */
  readonly headers: RequestHeaders;
  /**
   * The exact bytes received, still in their `Content-Encoding` if the headers name one (a `string` is taken as
   * decoded text). Give these whenever you have them: signatures are verified over them.
   */
  readonly rawBody?: Buffer | Uint8Array | string;
  /** The body not read yet: read here, at most the endpoint's `limit` bytes, within its `bodyTimeoutMs`. */
  readonly stream?: BodyStream;
  /** The body an earlier parser already turned into JSON, when no bytes were kept. */
  readonly parsedBody?: unknown;
  /** The client address (for IP allow-lists). */
  readonly ip?: string;
  /** The TLS client certificate presented (mutual TLS), when the connection was TLS and asked for one. */
  readonly clientCertificate?: ClientCertificate;
}

/** A header's value, its first when repeated. */
export function headerOf(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A character `toLowerCase` may change: an ASCII capital, or anything past ASCII. A name without one is lower case already. */
const MAY_CHANGE_CASE = /[A-Z\u0080-\uffff]/;

/** `headers` with every name lower-cased (the same object when they all are already). */
export function lowerCased(headers: RequestHeaders): RequestHeaders {
  let lower = true;
  for (const name in headers) {
    // Tested before lower-casing: `toLowerCase` makes a new string even of a name it leaves as it is.
    if (MAY_CHANGE_CASE.test(name) && name !== name.toLowerCase()) {
      lower = false;
      break;
    }
  }
  if (lower) return headers;
  const result: Record<string, string | string[] | undefined> = {};
  for (const name in headers) {
    const key = name.toLowerCase();
    const value = headers[name];
    const seen = result[key];
    result[key] = seen === undefined ? value : value === undefined ? seen : [...[seen].flat(), ...[value].flat()];
  }
  return result;
}
