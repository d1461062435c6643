import type { ServerResponse } from 'node:http';
import type { DeliveryResponse } from '../pipeline/acknowledge';

/** Write a response with Node's own API, so it works under Express 4, 5 or none. */
export function respond(res: ServerResponse, response: DeliveryResponse): void {
  if (res.headersSent) return;
  res.statusCode = response.status;
  const { headers } = response;
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('content-length', Buffer.byteLength(response.body));
  res.end(response.body);
}
