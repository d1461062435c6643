import { expect } from 'chai';
import request from 'supertest';
import express from 'express';
import { builtinProviders, createTokenWebhooks } from '../../lib';
import type { JsonSchema } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { BEARER, TEST_CREDENTIALS, deliver, testReceiver } from '../helpers/app';
import { DESCRIPTORS, descriptor } from '../providers/descriptors';

type Path = (string | number)[];

/** Every required path of a schema that a valid payload has (walking `properties`, `required` and `items`). */
function requiredPaths(schema: JsonSchema, payload: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const key of (schema.required ?? []) as string[]) {
    if (payload === null || typeof payload !== 'object' || !(key in payload)) continue;
    out.push([...prefix, key]);
  }
  for (const [key, sub] of Object.entries(properties)) {
    const value = (payload as Record<string, unknown> | null)?.[key];
    if (value === undefined) continue;
    if (Array.isArray(value) && sub.items) out.push(...requiredPaths(sub.items as JsonSchema, value[0], [...prefix, key, 0]));
    else if (typeof value === 'object') out.push(...requiredPaths(sub, value, [...prefix, key]));
  }
  return out;
}

function edit(text: string, path: Path, change: (parent: any, key: string | number) => void): string {
  const payload = JSON.parse(text);
  let parent = payload;
  for (const key of path.slice(0, -1)) parent = parent[key];
  change(parent, path.at(-1)!);
  return JSON.stringify(payload);
}

const pointer = (path: Path) => `/${path.join('/')}`;

for (const { name: provider, sample: name, refusedValues, alsoRequired } of DESCRIPTORS) {
  describe(`${provider}: bad input gets a documented 4xx, stores nothing, calls no handler`, () => {
    const base = fixture(provider, name).text;
    const schema = builtinProviders[provider as keyof typeof builtinProviders].schema;
    const receiver = testReceiver();

    afterEach(async () => {
      expect(receiver.recorder.calls, 'handler calls').to.have.length(0);
      expect(await receiver.webhooks.listEvents(), 'stored events').to.have.length(0);
    });

    const reject = async (body: string, status: number, code: string, headers: Record<string, string> = {}) => {
      const res = await deliver(receiver.app, provider, body, headers);
      descriptor(provider).expectRejection(res, status, code);
      return res;
    };

    it('not JSON → 400 invalid_json', () => reject('{"id": "x",', 400, 'invalid_json'));
    it('JSON that is not an object → 400 schema_violation', async () => {
      await reject('[]', 400, 'schema_violation');
      await reject('null', 400, 'schema_violation');
      await reject('"text"', 400, 'schema_violation');
    });
    it('wrong content type → 415 unsupported_media_type', async () => {
      await reject(base, 415, 'unsupported_media_type', { 'content-type': 'text/plain' });
      await reject(base, 415, 'unsupported_media_type', { 'content-type': 'application/x-www-form-urlencoded' });
      await reject(base, 415, 'unsupported_media_type', { 'content-type': 'application/json; charset=utf-16' });
    });
    it('no content type → 415 unsupported_media_type', async () => {
      const auth = descriptor(provider).credentials(base, TEST_CREDENTIALS);
      const res = await request(receiver.app).post(`/webhooks/${provider}`).set(auth).send(Buffer.from(base));
      descriptor(provider).expectRejection(res, 415, 'unsupported_media_type');
    });
    if (descriptor(provider).healthCheck) {
      it('empty body → 200: the provider\'s health check (a POST without a body), nothing stored', async () => {
        const res = await deliver(receiver.app, provider, '', {});
        expect([res.status, res.body]).to.deep.equal([200, { status: 'ok' }]);
      });
    } else {
      it('empty body → 400 empty_body', () => reject('', 400, 'empty_body'));
    }
    it('a body over 64 KiB → 413 payload_too_large', () => reject(`{"pad":"${'x'.repeat(70 * 1024)}"}`, 413, 'payload_too_large'));
    it('a GET or PUT is not a delivery', async () => {
      const put = await request(receiver.app).put(`/webhooks/${provider}`).set('content-type', 'application/json').send(base);
      descriptor(provider).expectRejection(put, 405, 'method_not_allowed');
      const get = await request(receiver.app).get(`/webhooks/${provider}`);
      if (descriptor(provider).healthCheck) expect(get.status).to.equal(200);
      else descriptor(provider).expectRejection(get, 405, 'method_not_allowed');
    });

    for (const path of requiredPaths(schema, JSON.parse(base))) {
      it(`missing ${pointer(path)} → 400 schema_violation naming the path`, async () => {
        const res = await reject(edit(base, path, (parent, key) => { delete parent[key]; }), 400, 'schema_violation');
        const issues = descriptor(provider).issues(res.body);
        expect(issues.map((i: { path: string; message: string }) => `${i.path} ${i.message}`).join('\n')).to.include(String(path.at(-1)));
      });
      it(`${pointer(path)} of the wrong type → 400 schema_violation`, async () => {
        await reject(edit(base, path, (parent, key) => {
          parent[key] = typeof parent[key] === 'object' ? 'not-an-object' : { wrong: true };
        }), 400, 'schema_violation');
      });
    }

    for (const group of alsoRequired) {
      it(`missing ${group.map(pointer).join(' and ')} → 400 schema_violation`, async () => {
        let body = base;
        for (const path of group) body = edit(body, path, (parent, key) => { if (parent) delete parent[key]; });
        await reject(body, 400, 'schema_violation');
      });
    }

    for (const path of refusedValues) {
      it(`unknown value at ${pointer(path)} → 400 schema_violation`, async () => {
        const res = await reject(edit(base, path, (parent, key) => { parent[key] = 'NOT_A_KNOWN_VALUE'; }), 400, 'schema_violation');
        expect(JSON.stringify(res.body)).to.not.include('NOT_A_KNOWN_VALUE');
      });
    }
  });
}

describe('an oversized body', () => {
  it('is refused from its Content-Length before it is read, and the connection is closed', async () => {
    const { app, recorder } = testReceiver();
    const res = await request(app).post('/webhooks/tokenex')
      .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` })
      .send(`{"pad":"${'x'.repeat(200 * 1024)}"}`);
    descriptor('tokenex').expectRejection(res, 413, 'payload_too_large');
    expect(res.headers.connection).to.equal('close');
    expect(recorder.calls).to.have.length(0);
  });

  it('a smaller limit of your own applies', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const app = express();
    app.use('/t', webhooks.tokenex({ auth: { bearer: BEARER }, limit: 100 }));
    const res = await request(app).post('/t').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(fixture('tokenex', 'request').text);
    descriptor('tokenex').expectRejection(res, 413, 'payload_too_large');
  });
});
