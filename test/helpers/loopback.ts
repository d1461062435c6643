import { createServer, request } from 'node:http';
import type { IncomingHttpHeaders, RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface LoopbackServer {
  /** Sends one request on a new connection whose source address is `from` (any of 127/8). */
  send(from: string, method: string, path: string, options?: { headers?: Record<string, string>; body?: string }): Promise<LoopbackAnswer>;
  close(): Promise<void>;
}

/**
 * Serves `app` on 127.0.0.1 for requests from real, distinct source addresses: Linux routes all of 127/8 to `lo`,
 * so a client socket bound to 127.0.0.2 reaches the server as another address, without X-Forwarded-For.
 */
export async function serveLoopback(app: RequestListener): Promise<LoopbackServer> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    send: (from, method, path, options = {}) => new Promise((resolve, reject) => {
      const headers = { ...options.headers, ...(options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) }) };
      const req = request({ host: '127.0.0.1', port, localAddress: from, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    }),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
