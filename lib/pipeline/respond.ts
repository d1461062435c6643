import type { ServerResponse } from 'node:http';
import type { Acknowledgement } from '../providers/provider';

/** Seconds a sender should wait before retrying a retryable failure. */
export const RETRY_AFTER_SECONDS = 5;

/** Write an acknowledgement with Node's own API, so it works under Express 4, 5 or none. */
export function respond(res: ServerResponse, ack: Acknowledgement, retryable: boolean): void {
  if (res.headersSent) return;
  const body = JSON.stringify(ack.body);
  res.statusCode = ack.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  if (retryable) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  res.end(body);
}
