import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';

/** What a connection through the proxy does with its data. */
type LinkMode = 'pass' | 'silent' | 'held';

interface Link {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
  mode: LinkMode;
  /** Data (or an end, as `null`) held while paused, with the side it goes to. */
  readonly held: [Socket, Buffer | null][];
  clientOpen: boolean;
  /** Bytes `knock()` wrote. */
  knocks: number;
}

/**
 * A fault-injecting TCP forwarder to a database, loopback only, for tests of an outage:
 * - `stop()` cuts every connection and refuses new ones (a database that went away); `start()` serves again on the same port;
 * - `reset()` destroys every open connection with a TCP reset, and every new one until `heal()` (a database restarting);
 * - `silence()` swallows the data of every open connection, both ways, and of every connection accepted until `heal()`,
 *   and never closes them: half-open connections, as a vanished host, a failover or a dropped NAT entry leave them.
 *   `heal()` passes new connections again; the silenced ones stay silent (their app side may close them);
 * - `pause()` holds the data of every open and new connection until `heal()` delivers it all, in order (a slow database);
 * - `latencyMs`, when set, delays every chunk that passes, each way, by that much, in order: a round trip takes
 *   twice it longer (a database in another zone, a congested network).
 */
export class TcpProxy {
  port = 0;
  /** Added to the way of every chunk that passes, each direction, in ms. */
  latencyMs = 0;
  private server: Server | undefined;
  private readonly links = new Set<Link>();
  private fault: 'none' | 'resetting' | 'silent' | 'paused' = 'none';

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address && typeof address === 'object') this.port = address.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const link of this.links) this.destroy(link, false);
    this.links.clear();
    this.fault = 'none';
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Destroy every open connection with a TCP reset, and every new one until `heal()`. */
  reset(): void {
    this.fault = 'resetting';
    for (const link of this.links) this.destroy(link, true);
    this.links.clear();
  }

  /** Swallow everything on the open connections and on new ones until `heal()`; never close them. */
  silence(): void {
    this.fault = 'silent';
    for (const link of this.links) {
      link.mode = 'silent';
      link.held.length = 0;
    }
  }

  /** Hold everything on the open connections and on new ones until `heal()`. */
  pause(): void {
    this.fault = 'paused';
    for (const link of this.links) if (link.mode === 'pass') link.mode = 'held';
  }

  /** End the fault: new connections pass; paused ones deliver what they held and pass again; silenced ones stay silent. */
  heal(): void {
    this.fault = 'none';
    for (const link of this.links) {
      if (link.mode !== 'held') continue;
      link.mode = 'pass';
      for (const [to, chunk] of link.held.splice(0)) this.write(to, chunk);
    }
  }

  /**
   * Connections the app has not closed. A silenced connection the app closed has only sent its FIN, which
   * nobody answers: `knock()` on it (twice: a closed socket answers the first byte with a reset, which the
   * second write reports) and it stops counting; one the app only half-closed, or still holds, keeps counting.
   */
  get openConnections(): number {
    let open = 0;
    for (const link of this.links) if (link.clientOpen) open++;
    return open;
  }

  /**
   * Write one byte, `+`, to every silenced connection the app sent its FIN on, at most three times per connection:
   * a socket the app really closed answers with a reset. An app that only half-closed it reads at most `+++`,
   * the start of a message to both PostgreSQL's and Redis's parsers, so the probe itself closes nothing.
   */
  knock(): void {
    for (const link of this.links) {
      if (link.mode !== 'silent' || !link.clientOpen || !link.client.readableEnded || link.client.destroyed || link.knocks >= 3) continue;
      link.knocks++;
      link.client.write('+');
    }
  }

  /** `url` with its host and port replaced by this proxy's. */
  url(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  private accept(client: Socket): void {
    if (this.fault === 'resetting') {
      client.on('error', () => undefined).resetAndDestroy();
      return;
    }
    // A connection accepted while silent never reaches the database, as a connection to a vanished host never does.
    const upstream = this.fault === 'silent' ? undefined : connect({ port: this.targetPort, host: this.targetHost, allowHalfOpen: true });
    const link: Link = { client, upstream, mode: this.fault === 'silent' ? 'silent' : this.fault === 'paused' ? 'held' : 'pass', held: [], clientOpen: true, knocks: 0 };
    this.links.add(link);
    client.on('close', () => { link.clientOpen = false; });
    this.forward(link, client, upstream);
    if (upstream) this.forward(link, upstream, client);
  }

  private forward(link: Link, from: Socket, to: Socket | undefined): void {
    const relay = (chunk: Buffer | null) => {
      if (link.mode === 'silent' || !to) return;
      if (link.mode === 'held') link.held.push([to, chunk]);
      else this.write(to, chunk);
    };
    from.on('data', (chunk: Buffer) => relay(chunk));
    from.on('end', () => relay(null));
    from.on('error', () => {
      if (link.mode === 'pass') this.destroy(link, false);
    });
    from.on('close', () => {
      if (link.mode !== 'pass') return;
      this.links.delete(link);
      to?.destroy();
    });
  }

  private write(to: Socket, chunk: Buffer | null): void {
    // Timers of one duration fire in the order they were set: the chunks keep their order.
    if (this.latencyMs > 0) setTimeout(() => this.writeNow(to, chunk), this.latencyMs);
    else this.writeNow(to, chunk);
  }

  private writeNow(to: Socket, chunk: Buffer | null): void {
    if (to.destroyed) return;
    if (chunk === null) to.end();
    else to.write(chunk);
  }

  private destroy(link: Link, reset: boolean): void {
    for (const socket of [link.client, link.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (reset) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}
