import type { DeliveryInput } from './request';

/**
 * A sender's health check, on an endpoint whose provider pings (Cybersource): a `GET`, or a `POST` without a body.
 * Judged before the body is read when the request shows it has none (empty bytes, `Content-Length: 0`, or no
 * stream, nothing announced by `Content-Length` or `Transfer-Encoding` and nothing a host parser left); a streamed
 * body found empty once read is one too (a chunked empty body; a stream no header announces, `mayBeEmptyPost`).
 */
export function isHealthCheck(provider: { readonly healthCheck?: boolean }, request: DeliveryInput): boolean {
  if (!provider.healthCheck) return false;
  const method = request.method ?? 'POST';
  if (method === 'GET') return true;
  if (method !== 'POST') return false;
  if (request.rawBody !== undefined) return request.rawBody.length === 0;
  const { 'content-length': length, 'transfer-encoding': chunked } = request.headers;
  if (length === '0') return true;
  // A stream may hold a body no header announces (a fetch Request's): it is judged once read.
  return request.stream === undefined && length === undefined && chunked === undefined && request.parsedBody === undefined;
}

/**
 * A `POST` to an endpoint whose provider pings, with a stream no header announces (a fetch `Request` made without
 * `Content-Length`): it may be an empty health check, so it is read before its content type is judged.
 */
export function mayBeEmptyPost(provider: { readonly healthCheck?: boolean }, request: DeliveryInput): boolean {
  return provider.healthCheck === true && request.stream !== undefined && request.rawBody === undefined
    && request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined;
}

export const HEALTHY_BODY = '{"status":"ok"}';
