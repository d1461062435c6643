import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import type { FetchHandler, Provider, TokenEvent, TokenWebhooks, WebhookMiddleware } from '../../lib';
import { tokenWebhooks } from '../../lib/transport/fastify';

/** One endpoint to serve: a built-in provider by its name, or a provider of the tests' own, at `path`. */
export interface Mount {
  readonly provider: string | Provider<string, never, never>;
  readonly path: string;
  readonly options: object;
}

/** A transport the shared adapter table runs against: it serves `mounts` of `webhooks` on a loopback port. */
export interface Transport {
  readonly name: string;
  serve(webhooks: TokenWebhooks<TokenEvent>, mounts: readonly Mount[]): Promise<Served>;
}

export interface Served {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

type Endpoint = (provider: Mount['provider'], options: object) => WebhookMiddleware;
type FetchEndpoint = (provider: Mount['provider'], options: object) => FetchHandler;

async function listening(server: Server): Promise<Served> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** An Express app (4 or 5) with each endpoint mounted by `app.use(path, endpoint)`, as the README mounts them. */
const expressTransport = (name: string, makeApp: () => express.Express): Transport => ({
  name,
  serve(webhooks, mounts) {
    const app = makeApp();
    for (const m of mounts) app.use(m.path, (webhooks.endpoint as Endpoint)(m.provider, m.options));
    return listening(createServer(app));
  },
});

/** A Fastify 5 app with each endpoint registered as the plugin; the app's own JSON parser stays in place for its other routes. */
const fastifyTransport: Transport = {
  name: 'Fastify 5',
  async serve(webhooks, mounts) {
    const app = Fastify();
    app.post('/elsewhere', async (request) => ({ parsed: request.body }));
    for (const m of mounts) {
      await app.register(tokenWebhooks, { webhooks, provider: m.provider, path: m.path, options: m.options } as never);
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    const served = await listening(app.server);
    return { ...served, close: () => app.close() };
  },
};

/** A Node request as a WHATWG `Request`, as Web-standard servers on Node build one (Hono's Node server, Next.js). */
function webRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of [value ?? []].flat()) headers.append(name, one);
  }
  const bodyless = req.method === 'GET' || req.method === 'HEAD';
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method: req.method ?? 'GET',
    headers,
    ...(bodyless ? {} : { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
  } as RequestInit);
}

/** A `Response` written back to Node; a request body left unread closes the connection rather than being drained. */
async function writeResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const close = !req.complete;
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), 'content-length': body.length, ...(close ? { connection: 'close' } : {}) });
  res.end(body);
  if (close) res.once('finish', () => req.destroy());
}

/** Each endpoint as a fetch handler, served by a plain Node server that hands it a WHATWG `Request`. */
const fetchTransport: Transport = {
  name: 'fetch handler',
  serve(webhooks, mounts) {
    const handlers = new Map(mounts.map((m) => [m.path, (webhooks.fetchHandler as FetchEndpoint)(m.provider, m.options)]));
    const server = createServer((req, res) => {
      const handler = handlers.get((req.url ?? '').split('?')[0]!);
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      handler(webRequest(req), { ip: req.socket.remoteAddress }).then((response) => writeResponse(req, res, response))
        .catch(() => res.writeHead(500).end());
    });
    return listening(server);
  },
};

export const TRANSPORTS: readonly Transport[] = [
  expressTransport('Express 5', () => express()),
  expressTransport('Express 4', () => express4() as unknown as express.Express),
  fastifyTransport,
  fetchTransport,
];

