import { once } from 'node:events';
import { createServer, request } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { createTokenWebhooks } from '../../../lib';
import type { TokenEvent } from '../../../lib';
import { buildPayload, signDelivery } from '../../../lib/testing';
import { Certificates } from './certificates';
import type { Issued } from './certificates';
import { MDES_CLIENT_NAME, RESPONSE_HOST, TEST_KEY } from './keys';

/**
 * Mutual TLS as MDES connects: a real HTTPS server that asks for a client certificate and trusts one CA, certificates
 * made at test time by the openssl CLI, and the endpoint deciding on what the TLS socket saw.
 */
describe('mastercard: mutual TLS at the host\'s HTTPS server', function () {
  this.timeout(60_000);
  const certificates = new Certificates();
  let ca: Issued;
  let server: Server;
  let port: number;
  const events: TokenEvent[] = [];
  const clients: Record<string, Issued> = {};

  before(async () => {
    ca = certificates.selfSigned('Test Entrust CA', { ca: true });
    const serverCert = certificates.issued(ca, 'localhost', ['localhost']);
    clients.mastercard = certificates.issued(ca, MDES_CLIENT_NAME);
    clients.byAltName = certificates.issued(ca, 'Mastercard Web Services', [MDES_CLIENT_NAME]);
    clients.other = certificates.issued(ca, 'ws.example.com', ['ws.example.com']);
    // The right name, not issued by the CA the server trusts.
    clients.selfSigned = certificates.selfSigned(MDES_CLIENT_NAME);

    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    webhooks.onEvent((e) => { events.push(e); });
    const app = express().use('/webhooks/mastercard', webhooks.mastercard({
      auth: { clientCertificate: { commonName: MDES_CLIENT_NAME } }, decryption: TEST_KEY, responseHost: RESPONSE_HOST,
    }));
    // rejectUnauthorized: false lets a connection with an untrusted (or no) certificate through to the endpoint, which refuses it.
    server = createServer({ key: serverCert.key, cert: serverCert.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: false }, app);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    server.close();
    certificates.close();
  });

  /** POST an encrypted notification over HTTPS, presenting `client`'s certificate (or none). */
  function send(client: Issued | undefined, requestId: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const payload = buildPayload('mastercard', 'suspended', { id: requestId });
    const { body } = signDelivery('mastercard', payload, { mastercard: TEST_KEY });
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path: '/webhooks/mastercard', method: 'POST', servername: 'localhost', ca: ca.cert,
        headers: { 'content-type': 'application/json' }, ...(client ? { key: client.key, cert: client.cert } : {}),
      }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Record<string, unknown> }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('accepts Mastercard\'s certificate, issued by the trusted CA, named ws.mastercard.com', async () => {
    const res = await send(clients.mastercard, 'mtls-1');
    expect(res).to.deep.equal({ status: 200, body: { responseHost: RESPONSE_HOST, responseId: 'mtls-1' } });
    expect(events.at(-1)).to.include({ id: 'mtls-1:DWSPMC000000000132d72d4fcb2f4136a0532d3093ff1a45', type: 'token.suspended' });
  });

  it('accepts the name in the certificate\'s subjectAltName', async () => {
    expect((await send(clients.byAltName, 'mtls-2')).status).to.equal(200);
  });

  for (const [name, client] of [
    ['no client certificate', undefined],
    ['a certificate of the right name the server\'s CA did not issue', 'selfSigned'],
    ['a certificate of the trusted CA with another name', 'other'],
  ] as const) {
    it(`refuses ${name}: 401, nothing received`, async () => {
      const before = events.length;
      const res = await send(client ? clients[client] : undefined, `mtls-refused-${name.length}`);
      expect([res.status, (res.body.error as { code?: string } | undefined)?.code]).to.deep.equal([401, 'unauthorized']);
      expect(events).to.have.length(before);
    });
  }
});
