import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { ConfigurationError, createTokenWebhooks, defineProvider, sharedSecretAuthenticator, stateEventType } from '../../lib';
import type { InboxTokenWebhooks, ProviderOptions, TokenEvent, TokenState } from '../../lib';

/** A provider that is none of the four: "Acme Vault", with its own payload, schema, auth and answer. */
interface AcmePayload {
  readonly notification: string;
  readonly vaultToken: string;
  readonly lifecycle: 'enabled' | 'paused' | 'removed';
  readonly at: number;
}
type AcmeOptions = ProviderOptions & { readonly secret: string };

const STATES: Record<AcmePayload['lifecycle'], TokenState> = { enabled: 'ACTIVE', paused: 'SUSPENDED', removed: 'DELETED' };

const acme = defineProvider<'acme', AcmePayload, AcmeOptions>({
  name: 'acme',
  schema: {
    type: 'object',
    required: ['notification', 'vaultToken', 'lifecycle', 'at'],
    properties: {
      notification: { type: 'string', minLength: 1 },
      vaultToken: { type: 'string', minLength: 1 },
      lifecycle: { enum: ['enabled', 'paused', 'removed'] },
      at: { type: 'integer', minimum: 0 },
    },
  },
  authenticator: (options) => sharedSecretAuthenticator({ bearer: options.secret }, 'acme'),
  eventId: (raw) => raw.notification,
  normalize: (raw) => ({
    type: stateEventType(STATES[raw.lifecycle]), state: STATES[raw.lifecycle], tokenRef: raw.vaultToken, occurredAt: new Date(raw.at),
  }),
  acknowledge: (outcome) => (outcome.ok
    ? { status: 202, body: { ack: outcome.eventId } }
    : { status: outcome.error.status, body: { fault: outcome.error.code } }),
});

const SECRET = 'acme-secret-0123456789abcdef';
const body = (notification: string, lifecycle: string, at: number) => JSON.stringify({ notification, vaultToken: 'vt-9', lifecycle, at });

describe('a user-defined provider', () => {
  const webhooks = createTokenWebhooks<TokenEvent<'acme', AcmePayload>>({ pruneIntervalMs: false });
  const seen: TokenEvent<'acme', AcmePayload>[] = [];
  let paused = 0;
  webhooks.onEvent((e) => { seen.push(e); }).onSuspended(() => { paused += 1; });
  const app = express();
  app.use('/webhooks/acme', webhooks.endpoint(acme, { secret: SECRET }));
  const post = (text: string, secret = SECRET) => request(app).post('/webhooks/acme')
    .set({ 'content-type': 'application/json', authorization: `Bearer ${secret}` }).send(text);

  it('runs through the same pipeline: schema, auth, dedupe, projection, handlers, its own answer', async () => {
    const first = await post(body('n-1', 'paused', 1_000));
    expect(first.status).to.equal(202);
    expect(first.body).to.deep.equal({ ack: 'n-1' });
    expect(paused).to.equal(1);
    expect(seen[0]).to.include({ provider: 'acme', id: 'n-1', type: 'token.suspended', state: 'SUSPENDED', tokenRef: 'vt-9' });
    expect(seen[0]!.raw.lifecycle).to.equal('paused');
    expect((await post(body('n-1', 'paused', 1_000))).status).to.equal(202);
    expect(seen).to.have.length(1);
    expect(await webhooks.getTokenState('acme', 'vt-9')).to.include({ state: 'SUSPENDED' });
  });

  it('its schema and its authentication are enforced', async () => {
    const invalid = await post(body('n-2', 'exploded', 1_000));
    expect(invalid.status).to.equal(400);
    expect(invalid.body).to.deep.equal({ fault: 'schema_violation' });
    const forged = await post(body('n-3', 'removed', 2_000), 'wrong-secret-0123456789abcdef');
    expect(forged.status).to.equal(401);
    expect(seen).to.have.length(1);
  });

  describe('a notification it names no kind for', () => {
    const memo = defineProvider<'memo', { readonly id: string; readonly kind?: string }>({
      name: 'memo',
      schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, kind: { type: 'string' } } },
      authenticator: () => undefined,
      eventId: (raw) => raw.id,
      normalize: (raw) => ({ type: 'notification', tokenRef: '', ...(raw.kind ? { kind: raw.kind } : {}) }),
    });
    const deliveries = (id: string, kind?: string) => ({ headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify({ id, kind }) });

    for (const mode of ['sync', 'inbox'] as const) {
      it(`reaches its handlers with kind 'unknown' (${mode} mode: ${mode === 'sync' ? 'as delivered' : 'run from storage'})`, async () => {
        const webhooks = createTokenWebhooks<TokenEvent<'memo'>>({ pruneIntervalMs: false, mode, inbox: { pollIntervalMs: false } });
        const kinds: (string | undefined)[] = [];
        webhooks.onEvent((event) => { if (event.type === 'notification') kinds.push(event.kind); });
        const receive = webhooks.receiver(memo, { authenticate: () => true });
        expect((await receive(deliveries('m-1'))).status).to.equal(200);
        expect((await receive(deliveries('m-2', 'memo.sent'))).status).to.equal(200);
        if (mode === 'inbox') expect(await (webhooks as InboxTokenWebhooks<TokenEvent<'memo'>>).processInbox()).to.equal(2);
        expect(kinds).to.deep.equal(['unknown', 'memo.sent']);
        await webhooks.close();
      });
    }
  });

  it('a provider that does not implement the interface is refused at definition', () => {
    expect(() => defineProvider({ name: 'Bad Name!', schema: {}, authenticator: () => undefined, eventId: () => '', normalize: () => ({ type: 'token.updated', tokenRef: '' }) }))
      .to.throw(ConfigurationError).with.property('code', 'ERR_NTW_PROVIDER_NAME');
    expect(() => defineProvider({ name: 'half', schema: {} } as never)).to.throw(ConfigurationError).with.property('code', 'ERR_NTW_PROVIDER_INTERFACE');
  });
});
