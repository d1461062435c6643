import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ClientCertificate } from '../../auth/authenticator';

/**
 * The client certificate of a request that came over TLS with one (a server created with `requestCert: true`);
 * `undefined` on plain HTTP, or when the client sent none.
 */
export function clientCertificateOf(req: IncomingMessage): ClientCertificate | undefined {
  const socket = req.socket as Partial<TLSSocket> | undefined;
  if (!socket || socket.encrypted !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate(false);
  if (!peer || Object.keys(peer).length === 0) return undefined;
  return {
    authorized: socket.authorized === true,
    subject: Object.fromEntries(Object.entries(peer.subject ?? {}).filter((field): field is [string, string | string[]] => field[1] !== undefined)),
    ...(peer.subjectaltname ? { subjectAltName: peer.subjectaltname } : {}),
    ...(peer.fingerprint256 ? { fingerprint256: peer.fingerprint256 } : {}),
  };
}
