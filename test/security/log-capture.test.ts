import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { TokenEvent } from '../../lib';
import { edited, fixture, fixtures } from '../helpers/fixtures';
import { captureDebug } from '../helpers/debug-capture';
import {
  NI_CLIENTS, NI_STATIC, PROVIDERS, niAccessToken, post, securityReceiver, validHeaders,
} from './support';
import { ACTIVATION_CODE, EMAIL, PAN, PHONE, expectClean, hostileBodies } from './leaks';

describe('security: no card data, contact data, activation code or secret in logs, error bodies or errors', () => {
  it('with DEBUG=network-token-webhooks:* over every seed fixture and the hostile cases', async () => {
    const capture = captureDebug();
    const bodies: string[] = [];
    const errors: string[] = [];
    try {
      const r = securityReceiver();
      r.webhooks.onError((e) => { errors.push(String((e as Error).message)); });
      // A handler that fails with card data in its message: the library logs that message.
      r.webhooks.onSuspended(() => { throw new Error(`declined card ${PAN} for ${EMAIL}, call ${PHONE}`); });
      for (const provider of PROVIDERS) {
        for (const f of fixtures(provider)) {
          const res = await post(r.app, provider, f.text, validHeaders(provider, f.text));
          expect(res.status).to.be.oneOf([200, 500]);
          if (res.status !== 200) bodies.push(res.text);
        }
        for (const body of hostileBodies(provider)) {
          for (const headers of [validHeaders(provider, body), {}, { authorization: `Bearer ${PAN}${EMAIL}` }]) {
            const res = await post(r.app, provider, body, headers);
            // An accepted delivery's answer echoes the sender's own notification id; only refusals are checked.
            if (res.status !== 200) bodies.push(res.text);
          }
          bodies.push((await post(r.app, provider, `${body.slice(0, -3)}, "x": "${PAN}"`, validHeaders(provider, body))).text);
        }
      }
      // NI: an activation code delivered with an OAuth token; the token endpoint refusing a wrong secret.
      const token = await niAccessToken(r.app);
      const ac = edited('ni', 'sample-request-for-ac', (p) => { p.id = 'a1b2c3d4-0000-4000-8000-000000000001'; p.details.token.activationCode = ACTIVATION_CODE; });
      expect((await post(r.app, 'ni', ac, { authorization: `Bearer ${token}` })).status).to.equal(200);
      bodies.push((await request(r.app).post('/oauth/ni/token').type('form')
        .send({ grant_type: 'client_credentials', client_id: EMAIL, client_secret: NI_CLIENTS[0].clientSecret.slice(0, -1) })).text);
    } finally {
      capture.restore();
    }
    const log = capture.lines.join('\n');
    if (process.env.SHOW_LOG) process.stdout.write(`${log}\n`);
    expect(capture.lines.length, 'debug output was captured').to.be.above(50);
    expect(log).to.include('network-token-webhooks:receive');
    expect(log).to.include('schema_violation'); // the hostile cases reached past authentication
    expectClean('debug output', log);
    expect(bodies.length).to.be.above(30);
    expectClean('response bodies of refusals', bodies.join('\n'));
    expect(errors.length, 'handler failures reported').to.be.above(0);
  });

  it('activation codes are redacted before the event is persisted; the handler still receives them', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const received: TokenEvent[] = [];
    webhooks.onEvent((e) => { received.push(e); });
    const app = express().use('/ni', webhooks.ni({ auth: { bearer: NI_STATIC } }));
    const body = edited('ni', 'sample-request-for-ac', (p) => { p.details.token.activationCode = ACTIVATION_CODE; });
    const res = await request(app).post('/ni').set({ 'content-type': 'application/json', authorization: `Bearer ${NI_STATIC}` }).send(body);
    expect(res.status).to.equal(200);
    expect(received).to.have.length(1);
    expect(received[0]!.type).to.equal('token.activation_code');
    expect((received[0] as { activationCode?: string }).activationCode).to.equal(ACTIVATION_CODE);
    const stored = await webhooks.listEvents({ provider: 'ni' });
    expect(stored).to.have.length(1);
    const text = JSON.stringify(stored);
    expect(text).to.not.include(ACTIVATION_CODE);
    expect((stored[0]!.payload as { details: { token: { activationCode: string } } }).details.token.activationCode).to.equal('[REDACTED]');
  });

  it('error messages and schema issues name paths, never values', async () => {
    const r = securityReceiver();
    const body = edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.currentTokenState = `${PAN} ${EMAIL}`; });
    const res = await post(r.app, 'tokenex', body, validHeaders('tokenex', body));
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('schema_violation');
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).to.include('/networkTokenStateChangeNotification/currentTokenState');
    expectClean('schema issues', res.text);
    // An undocumented token event indicator is accepted (a token update); one shaped like a card number is not kept.
    const ni = fixture('ni', 'sample-request-for-td').text.replace('"3"', `"${PAN}"`);
    const niRes = await post(r.app, 'ni', ni, validHeaders('ni', ni));
    expect(niRes.status).to.equal(200);
    expectClean('NI answer', niRes.text);
    expect(JSON.stringify(await r.webhooks.listEvents({ provider: 'ni' })), 'what was stored').to.not.include(PAN);
  });
});
