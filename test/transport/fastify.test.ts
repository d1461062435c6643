import { expect } from 'chai';
import Fastify from 'fastify';
import request from 'supertest';
import { ConfigurationError, createTokenWebhooks, defineProvider } from '../../lib';
import type { BuiltinTokenEvent, ProviderOptions, TokenEvent } from '../../lib';
import * as fastifyModule from '../../lib/transport/fastify';
import { tokenWebhooks } from '../../lib/transport/fastify';
import { BEARER, recordHandlers } from '../helpers/app';
import { fixture } from '../helpers/fixtures';

const tokenexBody = fixture('tokenex', 'request').text;
const auth = { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` };

describe('the Fastify plugin', () => {
  const apps: { close(): Promise<unknown> }[] = [];
  const track = <T extends { close(): Promise<unknown> }>(made: T): T => {
    apps.push(made);
    return made;
  };
  afterEach(async () => {
    for (const made of apps.splice(0).reverse()) await made.close();
  });

  const receiver = () => {
    const webhooks = track(createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false }));
    return { webhooks, recorder: recordHandlers(webhooks) };
  };

  it('reads the raw body in its own context only: the app\'s JSON parser still parses its other routes, and never sees the endpoint\'s body', async () => {
    const { webhooks, recorder } = receiver();
    const app = track(Fastify());
    app.post('/api/orders', async (req) => ({ parsed: req.body }));
    await app.register(tokenWebhooks, { webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: { auth: { bearer: BEARER } } });
    await app.ready();
    const parsed = await request(app.server).post('/api/orders').set('content-type', 'application/json').send('{"a":1}');
    expect(parsed.body).to.deep.equal({ parsed: { a: 1 } });
    const delivered = await request(app.server).post('/webhooks/tokenex').set(auth).send(tokenexBody);
    expect(delivered.status, delivered.text).to.equal(200);
    expect(recorder.count('event')).to.equal(1);
  });

  it('mounts under the prefix it is registered with, and one endpoint per registration', async () => {
    const { webhooks, recorder } = receiver();
    const app = track(Fastify());
    await app.register(tokenWebhooks, { prefix: '/hooks', webhooks, provider: 'tokenex', path: '/tokenex', options: { auth: { bearer: BEARER } } });
    await app.register(tokenWebhooks, { prefix: '/hooks', webhooks, provider: 'tokenex', path: '/tokenex-eu', options: { auth: { bearer: 'another-bearer-0123456789' } } });
    await app.ready();
    expect((await request(app.server).post('/hooks/tokenex').set(auth).send(tokenexBody)).status).to.equal(200);
    expect((await request(app.server).post('/hooks/tokenex-eu').set(auth).send(tokenexBody)).status).to.equal(401);
    expect((await request(app.server).post('/webhooks/tokenex').set(auth).send(tokenexBody)).status).to.equal(404);
    expect(recorder.count('event')).to.equal(1);
  });

  it('refuses to start without its own path, with an unknown provider, or with options the provider refuses', async () => {
    const { webhooks } = receiver();
    const attempts: [object, string][] = [
      [{ webhooks, provider: 'tokenex', path: '/', options: { auth: { bearer: BEARER } } }, 'ERR_NTW_MOUNT_PATH'],
      [{ webhooks, provider: 'tokenex', path: 'webhooks/tokenex', options: { auth: { bearer: BEARER } } }, 'ERR_NTW_MOUNT_PATH'],
      [{ webhooks, provider: 'acme', path: '/webhooks/acme', options: {} }, 'ERR_NTW_UNKNOWN_PROVIDER'],
      [{ webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: {} }, 'ERR_NTW_AUTH_REQUIRED'],
      [{ provider: 'tokenex', path: '/webhooks/tokenex', options: { auth: { bearer: BEARER } } }, 'ERR_NTW_OPTION'],
    ];
    for (const [options, code] of attempts) {
      const app = track(Fastify());
      let failure: unknown;
      try {
        await app.register(tokenWebhooks, options as never);
        await app.ready();
      } catch (error) {
        failure = error;
      }
      expect(failure, code).to.be.instanceOf(ConfigurationError);
      expect((failure as ConfigurationError).code).to.equal(code);
    }
  });

  it('is the module\'s default too, and Fastify takes the module itself (as an ES module import of it gives)', async () => {
    expect(fastifyModule.default).to.equal(tokenWebhooks);
    const { webhooks, recorder } = receiver();
    const app = track(Fastify());
    await app.register(fastifyModule as unknown as typeof tokenWebhooks, { webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: { auth: { bearer: BEARER } } });
    await app.ready();
    expect((await request(app.server).post('/webhooks/tokenex').set(auth).send(tokenexBody)).status).to.equal(200);
    expect(recorder.count('event')).to.equal(1);
  });

  it('ready({ app }) with a Fastify app: no Express router to read, the handler check still applies', async () => {
    const webhooks = track(createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false }));
    const app = track(Fastify());
    await app.register(tokenWebhooks, { webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: { auth: { bearer: BEARER } } });
    await app.ready();
    let failure: unknown;
    await webhooks.ready({ app }).catch((error: unknown) => { failure = error; });
    expect((failure as ConfigurationError | undefined)?.code).to.equal('ERR_NTW_NO_HANDLERS');
    webhooks.onEvent(() => undefined);
    await webhooks.ready({ app });
  });

  it('types its options by provider', () => {
    const { webhooks } = receiver();
    const app = Fastify();
    const register = (options: Parameters<typeof tokenWebhooks>[1]) => () => app.register(tokenWebhooks, options);
    register({ webhooks, provider: 'cybersource', path: '/webhooks/cybersource', options: { keys: { k: 'a2V5' } } });
    // @ts-expect-error: TokenEx takes a shared secret, not Cybersource's keys
    register({ webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: { keys: { k: 'a2V5' } } });
    // @ts-expect-error: no provider is named so
    register({ webhooks, provider: 'acme', path: '/webhooks/acme', options: {} });
    const acme = defineProvider<'acme', { id: string }, ProviderOptions & { readonly secret: string }>({
      name: 'acme', schema: { type: 'object' }, authenticator: () => undefined, eventId: (raw) => raw.id, normalize: () => ({ type: 'token.active', tokenRef: '' }),
    });
    const typed = createTokenWebhooks<BuiltinTokenEvent | TokenEvent<'acme', { id: string }>>({ pruneIntervalMs: false });
    register({ webhooks: typed, provider: acme, path: '/webhooks/acme', options: { secret: 's' } });
    void typed.close();
    void app.close();
  });
});
