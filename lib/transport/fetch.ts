import type { ClientCertificate } from '../auth/authenticator';
import type { DeliveryCore } from '../pipeline/core';
import type { Endpoint } from '../pipeline/endpoint';
import { receive } from '../pipeline/receive';
import type { RequestHeaders } from '../pipeline/request';

/** What a fetch `Request` does not carry: the client's address and TLS certificate, when the server knows them. */
export interface FetchClient {
  /** The client address, for a provider's IP allow-list (`ipAllowList`): the server's (Hono on Node: `c.env.incoming.socket.remoteAddress`). */
  readonly ip?: string;
  /** The TLS client certificate, for a provider that authenticates by mutual TLS. */
  readonly clientCertificate?: ClientCertificate;
}

/**
 * A WHATWG fetch handler: a `Request` in, its `Response` out. For Next.js route handlers, Hono, Bun, Deno and other
 * Web-standard servers. The second argument is optional: the client's address and certificate, where the server
 * knows them (anything else there, as a route handler's context, is ignored).
 */
export type FetchHandler = (request: Request, client?: FetchClient) => Promise<Response>;

const EMPTY = new Uint8Array(0);

/** A fetch `Headers` as a plain record; its names are lower-case already, and a repeated header is one comma-joined value. */
function headersOf(headers: Headers): RequestHeaders {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => { record[name] = value; });
  return record;
}

/**
 * The fetch adapter around `receive`: the `Request`'s method, headers and body stream (read by the pipeline, with
 * its size limit and body deadline), the answer as a `Response`. A body the pipeline did not read is left to the
 * server: cancelling it would, on a Node server, drop the connection before the answer is written.
 */
export function fetchHandler(endpoint: Endpoint, core: DeliveryCore): FetchHandler {
  return async (request, client) => {
    const response = await receive(endpoint, core, {
      method: request.method,
      headers: headersOf(request.headers),
      ...(request.body === null ? { rawBody: EMPTY } : { stream: request.body }),
      ip: typeof client?.ip === 'string' ? client.ip : undefined,
      ...(client?.clientCertificate ? { clientCertificate: client.clientCertificate } : {}),
    });
    return new Response(response.body === '' ? null : response.body, { status: response.status, headers: response.headers });
  };
}
