import type { IncomingHttpHeaders } from 'node:http';

/** What an authenticator may see of the request. */
export interface DeliveryRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The client address as the transport resolves it (Express: `req.ip`, so `trust proxy` is honoured). */
  readonly ip: string | undefined;
  /**
   * When the delivery arrived, by the clock instances share (the storage's, where they share one): what a
   * signature's timestamp is judged against, so that an instance whose own clock is off still accepts it.
   */
  readonly receivedAt?: Date;
  /** The TLS client certificate the connection presented (mutual TLS), when the transport ran over TLS and asked for one. */
  readonly clientCertificate?: ClientCertificate;
}

/** A TLS client certificate as the transport saw it: what a mutual-TLS check (Mastercard MDES) decides on. */
export interface ClientCertificate {
  /** Whether the certificate chains to a CA the server trusts (Node's `socket.authorized`). */
  readonly authorized: boolean;
  /** The subject's fields (`CN`, `O`, …). */
  readonly subject: Readonly<Record<string, string | readonly string[]>>;
  /** Node's `subjectaltname` string: `DNS:a.example, DNS:b.example`. */
  readonly subjectAltName?: string;
  /** SHA-256 fingerprint, colon-separated hex, as Node gives it. */
  readonly fingerprint256?: string;
}

/**
 * A delivery found authentic, when what was verified is narrower than the whole body: `scope` names the part
 * (Cybersource's `'payload'` when only the JSON of `payload` was signed). What lies outside it must not decide
 * anything: the provider's `normalize` receives the scope.
 */
export interface Verified {
  readonly scope: string;
}

/** Decides whether a delivery is authentic. `rawBody` is the exact bytes received. */
export type AuthenticateFn = (req: DeliveryRequest, rawBody: Buffer) => boolean | Verified | Promise<boolean | Verified>;

export interface Authenticator {
  /** `true` when the check is over the body bytes (signatures): a body parsed earlier without its raw bytes is then refused. */
  readonly requiresRawBody: boolean;
  readonly authenticate: AuthenticateFn;
}
