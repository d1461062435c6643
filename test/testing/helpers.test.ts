import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import Ajv from 'ajv';
import { builtinProviders, createTokenWebhooks, niTokenEndpoint } from '../../lib';
import type { TokenEvent } from '../../lib';
import { buildPayload, deliver, niAccessToken, receive } from '../../lib/testing';
import type { BuiltinName, PayloadKind, TestCredentials } from '../../lib/testing';
import { optionsFor } from '../../lib/testing/credentials';
import { DESCRIPTORS } from '../providers/descriptors';
import { capturingWarnings } from '../helpers/unauthenticated';

/** A shared bearer, and each provider's own secret: its descriptor's, and these. */
const CREDENTIALS = {
  ...Object.fromEntries(DESCRIPTORS.flatMap((d) => (d.secret === undefined ? [] : [[d.name, d.secret]]))),
  cybersource: { keyId: 'key-1', key: Buffer.alloc(32, 5).toString('base64') },
  firstoken: 'firstoken-webhook-key-0123456789',
  bearer: 'a-shared-bearer-secret-0123',
} as TestCredentials & { readonly cybersource: { keyId: string; key: string }; readonly firstoken: string; readonly bearer: string };
const NI_CLIENT = { clientId: 'ni', clientSecret: 'ni-client-secret-0123456789' };

/** An app as a user mounts it, with a recorder of the handlers each delivery fires. */
function userApp() {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const fired: string[] = [];
  const events: TokenEvent[] = [];
  webhooks.onActive(() => { fired.push('active'); }).onSuspended(() => { fired.push('suspended'); }).onDeleted(() => { fired.push('deleted'); })
    .onUpdated(() => { fired.push('updated'); }).onEvent((e) => { events.push(e); });
  const tokens = niTokenEndpoint(NI_CLIENT);
  const app = express();
  app.post('/oauth/ni/token', tokens);
  // Each provider as its test kit mounts it for these credentials; NI also takes the tokens of its token endpoint.
  // A kit that authenticates by what a test delivery cannot present (Mastercard's mutual TLS) mounts with auth 'none': warned.
  const { warnings } = capturingWarnings(() => {
    for (const provider of PROVIDERS) {
      const options = provider === 'ni' ? { auth: { bearer: CREDENTIALS.bearer, oauth: tokens } } : optionsFor(provider, CREDENTIALS);
      app.use(`/webhooks/${provider}`, webhooks.endpoint(provider, options as never));
    }
  });
  expect(warnings).to.deep.equal(PROVIDERS.filter((p) => (optionsFor(p, CREDENTIALS) as { auth?: unknown }).auth === 'none')
    .map((p) => `network-token-webhooks: the ${p} endpoint accepts unauthenticated deliveries (auth: 'none')`));
  return { app, webhooks, fired, events };
}

const PROVIDERS = Object.keys(builtinProviders) as BuiltinName[];

/** The event id a payload built with the id `built` is recorded under: that id, unless the provider derives one (its descriptor says). */
const eventIdOf = (provider: BuiltinName, payload: object, built: string) =>
  DESCRIPTORS.find((d) => d.name === provider)?.builtEventId?.(payload, built) ?? built;
const KINDS = Object.fromEntries(PROVIDERS.map((p) => [p, builtinProviders[p].testKit!.kinds])) as Record<BuiltinName, readonly PayloadKind[]>;

describe('network-token-webhooks/testing', () => {
  for (const [provider, kinds] of Object.entries(KINDS) as [BuiltinName, readonly PayloadKind[]][]) {
    const validate = new Ajv({ strict: false }).compile(builtinProviders[provider].schema);
    for (const kind of kinds) {
      it(`${provider} ${kind}: the built payload validates, is accepted end to end, and fires ${kind}`, async () => {
        const { app, fired, events } = userApp();
        const payload = buildPayload(provider, kind);
        expect(validate(payload), JSON.stringify(validate.errors)).to.equal(true);
        const answer = await deliver(app, provider, payload, { credentials: CREDENTIALS });
        expect(answer.status, answer.text).to.equal(200);
        expect(answer.acknowledgement).to.include({ accepted: true });
        expect(events).to.have.length(1);
        const expected = kind === 'notification' ? 'notification' : kind === 'activation_code' ? 'token.activation_code' : kind === 'updated' ? 'token.updated' : `token.${kind}`;
        expect(events[0]!.type).to.equal(expected);
        if (kind === 'active' || kind === 'suspended' || kind === 'deleted' || kind === 'updated') expect(fired).to.include(kind);
        const unsigned = await deliver(app, provider, buildPayload(provider, kind), {});
        expect([unsigned.status, unsigned.acknowledgement.accepted, unsigned.acknowledgement.code]).to.deep.equal([401, false, 'unauthorized']);
      });
    }
  }

  it('every built-in provider has a test kit, and the kinds it builds are the ones it sends', () => {
    expect(KINDS).to.deep.include({
      cybersource: ['active', 'suspended', 'deleted', 'updated', 'notification'],
      tokenex: ['active', 'suspended', 'deleted', 'updated'],
      ni: ['active', 'suspended', 'deleted', 'activation_code', 'notification'],
      firstoken: ['active', 'suspended', 'deleted'],
    });
    for (const provider of PROVIDERS) {
      for (const kind of ['active', 'suspended', 'deleted', 'updated', 'activation_code', 'notification'] as const) {
        if (!KINDS[provider].includes(kind)) expect(() => buildPayload(provider, kind)).to.throw(TypeError, `${provider} sends no "${kind}" notification`);
      }
    }
  });

  it('overrides the id, the token, the time and anything else; a repeat of an id is a duplicate', async () => {
    const { app, webhooks } = userApp();
    const at = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
    const payload = buildPayload('tokenex', 'suspended', { id: 'my-id', tokenRef: 'my-token', occurredAt: at, edit: (p) => { p.message = 'edited'; } });
    expect(payload.message).to.equal('edited');
    expect((await deliver(app, 'tokenex', payload, { credentials: CREDENTIALS })).acknowledgement).to.deep.equal({ accepted: true, duplicate: false, id: 'my-id' });
    expect((await deliver(app, 'tokenex', payload, { credentials: CREDENTIALS })).acknowledgement.duplicate).to.equal(true);
    const state = await webhooks.getTokenState('tokenex', 'my-token');
    expect([state?.state, state?.occurredAt.toISOString()]).to.deep.equal(['SUSPENDED', at.toISOString()]);
  });

  for (const provider of PROVIDERS) {
    it(`${provider}: the answer names the event id sent, and a provider's retry is a duplicate (to the app, to its URL, through receive())`, async () => {
      const { app, webhooks } = userApp();
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        for (const target of [app, url]) {
          const built = `evt-${provider}-${randomUUID()}`;
          const payload = buildPayload(provider, 'suspended', { id: built });
          const id = eventIdOf(provider, payload, built);
          const answer = await deliver(target, provider, payload, { credentials: CREDENTIALS });
          expect(answer.acknowledgement, answer.text).to.deep.equal({ accepted: true, duplicate: false, id });
          const again = await deliver(target, provider, payload, { credentials: CREDENTIALS }); // a provider's retry
          expect(again.acknowledgement, again.text).to.deep.equal({ accepted: true, duplicate: true, id });
        }
        // receive() mounts the options that accept the credentials (its test kit's), unless told others.
        const built = `evt-${provider}-${randomUUID()}`;
        const payload = buildPayload(provider, 'deleted', { id: built });
        const first = await receive(webhooks, provider, payload, { credentials: CREDENTIALS });
        const retry = await receive(webhooks, provider, payload, { credentials: CREDENTIALS });
        expect([first.acknowledgement.duplicate, retry.acknowledgement.duplicate], retry.text).to.deep.equal([false, true]);
        expect(retry.acknowledgement.id).to.equal(first.acknowledgement.id).and.equal(eventIdOf(provider, payload, built));
      } finally {
        server.close();
      }
    });
  }

  it('the README\'s test, for NI: the handler runs once and a provider\'s retry is a duplicate', async () => {
    const { app, fired } = userApp();
    const credentials = { bearer: await niAccessToken(app, NI_CLIENT) }; // as NI calls: a token from your token endpoint
    const payload = buildPayload('ni', 'suspended', { tokenRef: 'card-1:wallet-1' });
    const answer = await deliver(app, 'ni', payload, { credentials });
    expect(answer.acknowledgement).to.deep.equal({ accepted: true, duplicate: false, id: payload.id });

    const again = await deliver(app, 'ni', payload, { credentials }); // a provider's retry
    expect(again.acknowledgement.duplicate).to.equal(true);
    expect(fired).to.deep.equal(['suspended']);
  });

  it('delivers to a running receiver by its URL too (fetch), and reads a refusal\'s documented code', async () => {
    const { app, fired } = userApp();
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const accepted = await deliver(url, 'cybersource', buildPayload('cybersource', 'suspended'), { credentials: CREDENTIALS });
      expect([accepted.status, accepted.acknowledgement.accepted, fired]).to.deep.equal([200, true, ['suspended']]);
      const refused = await deliver(url, 'cybersource', buildPayload('cybersource', 'suspended'), { credentials: { cybersource: { keyId: 'key-1', key: Buffer.alloc(32, 6).toString('base64') } } });
      expect([refused.status, refused.acknowledgement]).to.deep.equal([401, { accepted: false, code: 'unauthorized' }]);
    } finally {
      server.close();
    }
  });

  it('builds the payload-only Cybersource signature and an NI access token from the token endpoint', async () => {
    const { app, events } = userApp();
    const token = await niAccessToken(app, NI_CLIENT);
    expect((await deliver(app, 'ni', buildPayload('ni', 'suspended'), { credentials: { bearer: token } })).status).to.equal(200);
    expect(events[0]!.type).to.equal('token.suspended');
  });

  it('receive() runs the whole pipeline and the app\'s handlers without HTTP', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const seen: string[] = [];
    webhooks.onDeleted((e) => { seen.push(e.tokenRef); });
    const answer = await receive(webhooks, 'firstoken', buildPayload('firstoken', 'deleted', { tokenRef: 'ft_abc' }), {
      options: { auth: { signingKeys: CREDENTIALS.firstoken } }, credentials: CREDENTIALS,
    });
    expect([answer.status, answer.acknowledgement.accepted]).to.deep.equal([200, true]);
    expect(seen).to.deep.equal(['ft_abc']);
  });
});
