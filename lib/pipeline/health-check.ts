import type { IncomingHttpHeaders } from 'node:http';

/** A sender's health check: a `GET`, or a `POST` without a body, on an endpoint whose provider pings (Cybersource). */
export function isHealthCheck(provider: { readonly healthCheck?: boolean },
  request: { readonly method?: string; readonly headers: IncomingHttpHeaders; readonly rawBody?: Buffer | string; readonly parsedBody?: unknown }): boolean {
  if (!provider.healthCheck) return false;
  const method = request.method ?? 'POST';
  if (method === 'GET') return true;
  if (method !== 'POST') return false;
  if (request.rawBody !== undefined) return request.rawBody.length === 0;
  const { 'content-length': length, 'transfer-encoding': chunked } = request.headers;
  return length === '0' || (length === undefined && chunked === undefined && request.parsedBody === undefined);
}

export const HEALTHY_BODY = '{"status":"ok"}';
