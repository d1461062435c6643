import { expect } from 'chai';
import { Hono } from 'hono';
import { createTokenWebhooks, defineProvider } from '../../lib';
import type { TokenEvent } from '../../lib';
import { BEARER, TEST_CREDENTIALS, recordHandlers } from '../helpers/app';
import { fixture } from '../helpers/fixtures';
import { descriptor } from '../providers/descriptors';

const tokenexBody = fixture('tokenex', 'request').text;
const cybersourceBody = fixture('cybersource', 'network-token-suspended').text;
const cybersourceOptions = { keys: { [TEST_CREDENTIALS.cybersource.keyId]: TEST_CREDENTIALS.cybersource.key } };

/** A body that arrives in chunks, with no length announced, as a streamed upload does. */
function chunked(chunks: readonly string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
}

describe('the fetch handler', () => {
  const made: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const webhooks of made.splice(0)) await webhooks.close();
  });
  const receiver = () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    made.push(webhooks);
    return { webhooks, recorder: recordHandlers(webhooks) };
  };

  it('serves a Hono route: the Request Hono hands it, the Response it answers', async () => {
    const { webhooks, recorder } = receiver();
    const tokenex = webhooks.fetchHandler('tokenex', { auth: { bearer: BEARER } });
    const app = new Hono().post('/webhooks/tokenex', (c) => tokenex(c.req.raw));
    const res = await app.request('/webhooks/tokenex', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, body: tokenexBody });
    expect(res.status).to.equal(200);
    expect(res.headers.get('ntw-outcome')).to.equal('accepted');
    expect(await res.json()).to.deep.include({ received: true, duplicate: false });
    expect(recorder.count('event')).to.equal(1);
  });

  it('is a Next.js route handler as it is (`export const POST = handler`): the route context it is called with is ignored', async () => {
    const { webhooks, recorder } = receiver();
    const POST = webhooks.fetchHandler('tokenex', { auth: { bearer: BEARER } });
    const routeContext = { params: Promise.resolve({}) };
    const res = await POST(new Request('https://app.example/api/webhooks/tokenex', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, body: tokenexBody,
    }), routeContext as never);
    expect(res.status).to.equal(200);
    expect(recorder.count('event')).to.equal(1);
  });

  it('takes a body no header announces as a delivery, never as a health check (a Request made in code has no Content-Length), and an empty one as a health check', async () => {
    const { webhooks, recorder } = receiver();
    const handler = webhooks.fetchHandler('cybersource', cybersourceOptions);
    const headers = { 'content-type': 'application/json', ...descriptor('cybersource').credentials(cybersourceBody, TEST_CREDENTIALS) };
    const res = await handler(new Request('https://app.example/webhooks/cybersource', { method: 'POST', headers, body: cybersourceBody }));
    expect(res.status).to.equal(200);
    expect(res.headers.get('ntw-outcome')).to.equal('accepted');
    expect(recorder.count('event')).to.equal(1);
    for (const check of [new Request('https://app.example/webhooks/cybersource'), new Request('https://app.example/webhooks/cybersource', { method: 'POST', body: '' })]) {
      const health = await handler(check);
      expect([health.status, await health.text()], check.method).to.deep.equal([200, '{"status":"ok"}']);
    }
    const text = await handler(new Request('https://app.example/webhooks/cybersource', { method: 'POST', body: 'hello' }));
    expect(text.status, 'a body of another type, read to see whether it is empty').to.equal(415);
    expect(recorder.count('event')).to.equal(1);
  });

  it('applies the size limit to a streamed body as it arrives, without a Content-Length to go by', async () => {
    const { webhooks, recorder } = receiver();
    const handler = webhooks.fetchHandler('tokenex', { auth: { bearer: BEARER }, limit: 1024 });
    const res = await handler(new Request('https://app.example/webhooks/tokenex', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` },
      body: chunked(Array.from({ length: 8 }, () => 'x'.repeat(512))), duplex: 'half',
    } as RequestInit));
    expect(res.status).to.equal(413);
    expect((await res.json() as { error: { code: string } }).error.code).to.equal('payload_too_large');
    expect(recorder.calls).to.have.length(0);
  });

  it('gives an authenticate hook the method, the headers by lower-cased name and the client address the server passes', async () => {
    const { webhooks } = receiver();
    const seen: unknown[] = [];
    const handler = webhooks.fetchHandler('tokenex', {
      authenticate: (req) => { seen.push([req.method, req.headers['x-custom'], req.ip]); return true; },
    });
    const res = await handler(new Request('https://app.example/webhooks/tokenex', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' }, body: tokenexBody,
    }), { ip: '203.0.113.7' });
    expect(res.status).to.equal(200);
    expect(seen).to.deep.equal([['POST', 'yes', '203.0.113.7']]);
  });

  it('answers a provider\'s empty acknowledgement (204, no content type) with a Response without a body', async () => {
    const { webhooks, recorder } = receiver();
    const quiet = defineProvider<'quiet', { id: string; token: string }>({
      name: 'quiet',
      schema: { type: 'object', required: ['id', 'token'] },
      authenticator: () => ({ requiresRawBody: false, authenticate: (req) => req.headers.authorization === `Bearer ${BEARER}` }),
      eventId: (raw) => raw.id,
      normalize: (raw) => ({ type: 'token.active', state: 'ACTIVE', tokenRef: raw.token }),
      acknowledge: (outcome) => (outcome.ok ? { status: 204, rawBody: '' } : { status: outcome.error.status, rawBody: outcome.error.code }),
    });
    const handler = webhooks.fetchHandler(quiet);
    const res = await handler(new Request('https://app.example/webhooks/quiet', {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, body: '{"id":"q-1","token":"t-1"}',
    }));
    expect(res.status).to.equal(204);
    expect(res.headers.get('content-type')).to.equal(null);
    expect(await res.text()).to.equal('');
    expect(recorder.count('active')).to.equal(1);
    const refused = await handler(new Request('https://app.example/webhooks/quiet', { method: 'PUT' }));
    expect([refused.status, refused.headers.get('content-type'), await refused.text()]).to.deep.equal([405, 'text/plain; charset=utf-8', 'method_not_allowed']);
  });
});
