import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { ConfigurationError, WebhookError, createTokenWebhooks, defineProvider, isNtwError } from '../../lib';
import type { ProviderOptions, TokenEvent } from '../../lib';

/**
 * The seam of a provider whose payload arrives encrypted: `decrypter(options)`, called once at mount, returns the
 * function that opens each delivery's payload before the schema reads it. Here the "encryption" is base64 JSON
 * under a key name, so that the pipeline's part is what is tested.
 */
interface Opened {
  readonly id: string;
  readonly token: string;
  readonly state: 'ACTIVE' | 'SUSPENDED';
}
type SealedOptions = ProviderOptions & { readonly key?: string; readonly host?: string };

const seal = (key: string, opened: object) => JSON.stringify({ key, sealed: Buffer.from(JSON.stringify(opened)).toString('base64') });

let mounts = 0;
const sealedProvider = defineProvider<'sealed', Opened, SealedOptions>({
  name: 'sealed',
  optionNames: { key: true, host: true },
  schema: { type: 'object', required: ['id', 'token', 'state'], properties: { id: { type: 'string' }, token: { type: 'string' }, state: { enum: ['ACTIVE', 'SUSPENDED'] } } },
  // Authentic by its transport, as Mastercard's are: the encryption is what this tests.
  authenticator: () => ({ requiresRawBody: false, authenticate: () => true }),
  decrypter(options) {
    mounts++;
    if (options.key === undefined) throw new ConfigurationError('ERR_NTW_SEALED_KEY', 'sealed() needs a key');
    return (payload) => {
      const { key, sealed } = payload as { key?: unknown; sealed?: unknown };
      if (typeof sealed !== 'string') throw new WebhookError('schema_violation', { issues: [{ path: '/sealed', message: 'must be string' }] });
      if (key === 'other') throw new ConfigurationError('ERR_NTW_SEALED_KEY', 'sealed to a key this receiver does not hold');
      if (key !== options.key) throw new Error('bad padding');
      return JSON.parse(Buffer.from(sealed, 'base64').toString('utf8')) as unknown;
    };
  },
  eventId: (raw) => raw.id,
  normalize: (raw) => ({ type: raw.state === 'ACTIVE' ? 'token.active' : 'token.suspended', state: raw.state, tokenRef: raw.token }),
  acknowledge: (outcome, options) => (outcome.ok
    ? { status: 200, body: { host: options.host, id: outcome.eventId } }
    : { status: outcome.error.status, body: { code: outcome.error.code } }),
});

function receiver(options: SealedOptions) {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
  const events: TokenEvent[] = [];
  const errors: unknown[] = [];
  webhooks.onEvent((e) => { events.push(e); }).onError((e) => { errors.push(e); });
  const app = express().use('/sealed', webhooks.endpoint(sealedProvider, options as never));
  const post = (body: string) => request(app).post('/sealed').set('content-type', 'application/json').send(body);
  return { webhooks, events, errors, post };
}

describe('provider seam: a payload that arrives encrypted (decrypter)', () => {
  const opened = { id: 'evt-1', token: 'tok-1', state: 'SUSPENDED' } as const;

  it('is called once at mount, where its configuration error stops the endpoint', () => {
    const before = mounts;
    receiver({ key: 'k' });
    expect(mounts).to.equal(before + 1);
    expect(() => receiver({})).to.throw(ConfigurationError).with.property('code', 'ERR_NTW_SEALED_KEY');
  });

  it('the schema, the event and what is kept are the decrypted payload; the answer sees the endpoint options', async () => {
    const { webhooks, events, post } = receiver({ key: 'k', host: 'tokens.example' });
    const res = await post(seal('k', opened));
    expect([res.status, res.body]).to.deep.equal([200, { host: 'tokens.example', id: 'evt-1' }]);
    expect(events[0]).to.include({ type: 'token.suspended', tokenRef: 'tok-1' });
    expect(events[0]!.raw).to.deep.equal(opened);
    const [kept] = await webhooks.listEvents();
    expect(kept!.payload).to.deep.equal(opened);
    expect(JSON.stringify(kept)).to.not.include(Buffer.from(JSON.stringify(opened)).toString('base64'));
    // The decrypted payload fails the schema as any payload would.
    const bad = await post(seal('k', { ...opened, state: 'GONE' }));
    expect([bad.status, bad.body]).to.deep.equal([400, { code: 'schema_violation' }]);
  });

  it('its refusal is answered with its code; a payload it cannot open is 400 decryption_failed, never a 5xx', async () => {
    const { events, errors, post } = receiver({ key: 'k' });
    expect((await post('{"key":"k"}')).body).to.deep.equal({ code: 'schema_violation' });
    const wrong = await post(seal('j', opened));
    expect([wrong.status, wrong.body]).to.deep.equal([400, { code: 'decryption_failed' }]);
    expect(events).to.have.length(0);
    expect(errors).to.have.length(0);
  });

  it('a key the receiver does not hold is reported to onError and answered retry-later', async () => {
    const { events, errors, post } = receiver({ key: 'k' });
    const res = await post(seal('other', opened));
    expect([res.status, res.body]).to.deep.equal([500, { code: 'not_configured' }]);
    expect(res.headers['retry-after']).to.equal('5');
    expect(events).to.have.length(0);
    expect(errors).to.have.length(1);
    expect(isNtwError(errors[0]) && errors[0].code).to.equal('ERR_NTW_SEALED_KEY');
  });

  it('a quarantined delivery keeps the decrypted payload, and its replay does not decrypt again', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    const events: TokenEvent[] = [];
    webhooks.onEvent((e) => { events.push(e); }).onError(() => undefined);
    const strict = express().use('/sealed', webhooks.endpoint(sealedProvider, { key: 'k', quarantine: true } as never));
    const res = await request(strict).post('/sealed').set('content-type', 'application/json').send(seal('k', { ...opened, state: 'NEW' }));
    expect(res.status).to.equal(200);
    const [kept] = await webhooks.listEvents({ status: 'quarantined' });
    expect(kept!.payload).to.deep.equal({ ...opened, state: 'NEW' });
    // An override that reads the new state: the replay reads the kept payload, with no key at hand.
    webhooks.endpoint(sealedProvider, {
      key: 'k', schema: { type: 'object', required: ['id'] },
    } as never);
    expect(await webhooks.replay(kept!.id)).to.equal(1);
    expect(events.map((e) => [e.id, e.tokenRef])).to.deep.equal([['evt-1', 'tok-1']]);
  });
});
