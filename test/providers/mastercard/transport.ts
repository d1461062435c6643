import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { RequestHandler } from 'express';
import getRawBody from 'raw-body';
import { parseJson } from '../../../lib/pipeline/parse-json';
import { encryptNotification } from '../../../lib/providers/mastercard-decryption';
import type { MastercardEncryptionKey } from '../../../lib/providers/mastercard-decryption';

/** The test header that stands for the client certificate MDES's TLS connection presents: its name, `untrusted:<name>` for one of a CA the server does not trust. */
export const CLIENT_CERTIFICATE_HEADER = 'x-test-client-certificate';

/**
 * The socket of `req` as a TLS socket that presented a client certificate of `name` (the shared suites speak plain
 * HTTP through supertest; the real TLS path is tested over HTTPS in mutual-tls.test.ts).
 */
function presentCertificate(req: IncomingMessage, spec: string): void {
  const untrusted = spec.startsWith('untrusted:');
  const name = untrusted ? spec.slice('untrusted:'.length) : spec;
  const peer = { subject: { CN: name }, subjectaltname: `DNS:${name}` };
  const socket = req.socket;
  const tls: Partial<TLSSocket> = { encrypted: true, authorized: !untrusted, getPeerCertificate: (() => peer) as unknown as TLSSocket['getPeerCertificate'] };
  const view = new Proxy(socket, {
    get(target, property) {
      if (Object.hasOwn(tls, property)) return tls[property as keyof TLSSocket];
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  Object.defineProperty(req, 'socket', { value: view, configurable: true, writable: true });
}

/**
 * What MDES's connection carries, in front of a test receiver's Mastercard endpoint: for a request that names a
 * client certificate (`CLIENT_CERTIFICATE_HEADER`), that certificate, and its body encrypted to the receiver's key
 * as MDES sends it (a body that is no notification, or hostile JSON, goes on as it is). Without the header, the
 * request goes on unchanged: no certificate, the body in clear.
 */
export function mdesTransport(to: MastercardEncryptionKey): RequestHandler {
  return (req, _res, next) => {
    const certificate = req.headers[CLIENT_CERTIFICATE_HEADER];
    const coded = req.headers['content-encoding'] !== undefined && req.headers['content-encoding'] !== 'identity';
    if (req.method !== 'POST' || typeof certificate !== 'string' || coded || !/^application\/json/i.test(req.headers['content-type'] ?? '')) {
      next();
      return;
    }
    presentCertificate(req, certificate);
    if (coded) {
      next();
      return;
    }
    getRawBody(req, { limit: 1024 * 1024 }, (error, raw) => {
      if (error) {
        next(error);
        return;
      }
      let sealed: Buffer = raw;
      try {
        const value = parseJson(raw) as { encryptedPayload?: { encryptedData?: unknown } };
        const data = value?.encryptedPayload?.encryptedData;
        if (data !== null && typeof data === 'object') sealed = Buffer.from(JSON.stringify(encryptNotification(value as Record<string, unknown>, to)));
      } catch {
        // not a notification: sent as it is
      }
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = sealed;
      next();
    });
  };
}
