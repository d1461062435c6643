import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { TokenEvent } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { BEARER, deliver, recordHandlers, testReceiver } from '../helpers/app';
import { CYBERSOURCE_KEYS, cybersourceSignature } from '../helpers/cybersource';
import { descriptor } from '../providers/descriptors';

const cybersourceBody = fixture('cybersource', 'network-token-suspended').text;
const tokenexBody = fixture('tokenex', 'request').text;

describe('mounting in a host app', () => {
  it('behind app.use(express.json()): a provider without a body signature works from the parsed body', async () => {
    const { app, recorder } = testReceiver({}, (a) => a.use(express.json()));
    descriptor('tokenex').expectSuccess(await deliver(app, 'tokenex', tokenexBody), '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', false);
    expect(recorder.count('active')).to.equal(1);
  });

  it('behind express.json() with a verify hook keeping req.rawBody: signatures verify over the raw bytes', async () => {
    const { app, recorder } = testReceiver({}, (a) => a.use(express.json({
      verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => { req.rawBody = buf; },
    })));
    const res = await deliver(app, 'cybersource', cybersourceBody);
    descriptor('cybersource').expectSuccess(res, '3904B9E29F574360xxxxAF598E0AB766', false);
    expect(recorder.count('suspended')).to.equal(1);
  });

  it('behind plain express.json(): a signed provider fails fast with raw_body_unavailable (no hang) and reports it', async () => {
    const errors: unknown[] = [];
    const { app, recorder, webhooks } = testReceiver({}, (a) => a.use(express.json()));
    webhooks.onError((e) => { errors.push(e); });
    const res = await deliver(app, 'cybersource', cybersourceBody);
    descriptor('cybersource').expectRejection(res, 500, 'raw_body_unavailable');
    expect(res.body.error.message).to.include('rawBody');
    expect(recorder.calls).to.have.length(0);
    expect(errors).to.have.length(1);
  });

  it('behind express.raw() and express.text(): uses the bytes they read', async () => {
    for (const parser of [express.raw({ type: '*/*' }), express.text({ type: '*/*' })]) {
      const { app, recorder } = testReceiver({}, (a) => a.use(parser));
      descriptor('cybersource').expectSuccess(await deliver(app, 'cybersource', cybersourceBody), '3904B9E29F574360xxxxAF598E0AB766', false);
      descriptor('tokenex').expectSuccess(await deliver(app, 'tokenex', tokenexBody), '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', false);
      expect(recorder.count('event')).to.equal(2);
    }
  });

  it('express.json() that skipped a non-JSON body leaves the stream to us: 415, not a hang', async () => {
    const { app } = testReceiver({}, (a) => a.use(express.json()));
    const res = await request(app).post('/webhooks/tokenex').set({ 'content-type': 'text/plain', authorization: `Bearer ${BEARER}` }).send(tokenexBody);
    descriptor('tokenex').expectRejection(res, 415, 'unsupported_media_type');
  });

  it('works in an Express 4 app, with and without express.json() before it', async () => {
    for (const withJson of [false, true]) {
      const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
      const recorder = recordHandlers(webhooks);
      const app = express4();
      if (withJson) app.use(express4.json({ verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => { req.rawBody = buf; } }));
      app.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
      app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
      const signed = await request(app).post('/webhooks/cybersource')
        .set({ 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(cybersourceBody) }).send(cybersourceBody);
      descriptor('cybersource').expectSuccess(signed, '3904B9E29F574360xxxxAF598E0AB766', false);
      const plain = await request(app).post('/webhooks/tokenex')
        .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(tokenexBody);
      descriptor('tokenex').expectSuccess(plain, '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', false);
      if (!withJson) { // with the host's express.json() first, invalid JSON is the host parser's to answer
        const bad = await request(app).post('/webhooks/tokenex')
          .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send('{nope');
        descriptor('tokenex').expectRejection(bad, 400, 'invalid_json');
      }
      expect(recorder.count('suspended')).to.equal(1);
      expect(recorder.count('active')).to.equal(1);
    }
  });

  it('mounted with app.post(path, handler) as well as app.use(path, handler)', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
    const app = express();
    app.post('/hooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
    const res = await request(app).post('/hooks/tokenex').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(tokenexBody);
    descriptor('tokenex').expectSuccess(res, '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', false);
  });

  it('on a plain node:http server, without Express: a delivery, a health check, and the next() of a failure', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const recorder = recordHandlers(webhooks);
    const endpoint = webhooks.cybersource({ keys: CYBERSOURCE_KEYS });
    const passedOn: unknown[] = [];
    const server = createServer((req, res) => endpoint(req, res, (error) => {
      passedOn.push(error);
      res.statusCode = 500;
      res.end();
    }));
    const res = await request(server).post('/hooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(cybersourceBody) }).send(cybersourceBody);
    descriptor('cybersource').expectSuccess(res, '3904B9E29F574360xxxxAF598E0AB766', false);
    expect(recorder.count('suspended')).to.equal(1);
    expect((await request(server).get('/hooks/cybersource')).status, 'the health check').to.equal(200);
    const refused = await request(server).post('/hooks/cybersource').set({ 'content-type': 'application/json', 'v-c-signature': 'nope' }).send(cybersourceBody);
    expect(refused.status).to.equal(401);
    expect(passedOn, 'only a failure of ours would reach next()').to.deep.equal([]);
    await webhooks.close();
  });
});
