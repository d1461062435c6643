/**
 * The side of a server under test that talks to the benchmark: listens on a loopback port and prints
 * `listening <port>`, answers `{ type: 'stats' }` over IPC with its memory figures (and how many events its
 * handlers saw, when it counts them), and exits on `{ type: 'stop' }` or when the benchmark goes away.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServerStats {
  readonly type: 'stats';
  /** Resident set size now, bytes. */
  readonly rss: number;
  /** Peak resident set size, bytes (`getrusage` maxrss). */
  readonly maxRss: number;
  readonly heapUsed: number;
  /** CPU time the process has used (user + system, every thread), µs. */
  readonly cpuMicros: number;
  /** Events the handlers ran for, when the server counts them. */
  readonly handled?: number;
}

export interface ServeOptions {
  readonly handled?: () => number;
  /** Run before exiting on `stop` (close the webhooks instance and its storage). */
  readonly close?: () => Promise<void>;
}

export function stats(handled?: () => number): ServerStats {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    type: 'stats', rss: memory.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: memory.heapUsed, cpuMicros: cpu.user + cpu.system,
    ...(handled ? { handled: handled() } : {}),
  };
}

export function serve(server: Server, options: ServeOptions = {}): void {
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeAllConnections();
    const exit = setTimeout(() => process.exit(0), 10_000);
    exit.unref();
    await options.close?.().catch(() => undefined);
    process.exit(0);
  };
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'stats') process.send?.(stats(options.handled));
    if (message?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
}
