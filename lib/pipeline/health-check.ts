import type { DeliveryInput } from './request';

/**
 * A sender's health check, on an endpoint whose provider pings (Cybersource): a `GET`, or a `POST` without a body.
 * Judged before the body is read when the request shows it has none (empty bytes, `Content-Length: 0`, or no
 * stream, nothing announced by `Content-Length` or `Transfer-Encoding` and nothing a host parser left); a streamed
 * body found empty once read is one too (`isEmptyPost`).
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

/** A `POST` whose streamed body turned out empty, on an endpoint whose provider pings. */
export const isEmptyPost = (provider: { readonly healthCheck?: boolean }, raw: Buffer): boolean => provider.healthCheck === true && raw.length === 0;

export const HEALTHY_BODY = '{"status":"ok"}';
