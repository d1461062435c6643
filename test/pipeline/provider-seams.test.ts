import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks, defineProvider } from '../../lib';
import type { InboxTokenWebhooks, ProviderOptions, TokenEvent } from '../../lib';
import { deliver } from '../../lib/testing';

/**
 * Providers of the shapes the next token services send: an id in a header and an empty answer (as Lithic's
 * `webhook-id`), and a batch of events signed inside its body, answered in XML. Each is one module of its own.
 */

/** One token event of the header-id provider: its id is the delivery's `webhook-id` header. */
interface HookPayload {
  readonly token: string;
  readonly state: 'ACTIVE' | 'SUSPENDED';
}

const hook = defineProvider<'hook', HookPayload>({
  name: 'hook',
  schema: { type: 'object', required: ['token', 'state'], properties: { token: { type: 'string' }, state: { enum: ['ACTIVE', 'SUSPENDED'] } } },
  authenticator: () => undefined,
  eventId: (_raw, _body, _options, context) => {
    const id = context.header?.('Webhook-Id');
    if (!id) throw new Error('no webhook-id header');
    return id;
  },
  normalize: (raw) => ({ type: raw.state === 'ACTIVE' ? 'token.active' : 'token.suspended', state: raw.state, tokenRef: raw.token }),
  // 204 and no body when accepted; the refusal's code as plain text.
  acknowledge: (outcome) => (outcome.ok ? { status: 204, rawBody: '' } : { status: outcome.error.status, rawBody: outcome.error.code }),
});

/** A batch: several token events, and a signature over them inside the body. */
interface BatchPayload {
  readonly batch?: string;
  readonly events?: readonly { readonly id: string; readonly token: string; readonly state: 'ACTIVE' | 'DELETED' }[];
  readonly signature?: string;
  /** One event of a batch, as `split` makes it. */
  readonly event?: { readonly id: string; readonly token: string; readonly state: 'ACTIVE' | 'DELETED' };
}
type BatchOptions = ProviderOptions & { readonly key: string };

const signatureOf = (key: string, batch: BatchPayload) => createHmac('sha256', key).update(JSON.stringify({ batch: batch.batch, events: batch.events })).digest('hex');
const xmlAttribute = (value: string) => value.replace(/[<>&"]/g, '');

const batch = defineProvider<'batch', BatchPayload, BatchOptions, string>({
  name: 'batch',
  schema: {
    type: 'object',
    required: ['batch', 'events', 'signature'],
    properties: {
      batch: { type: 'string' },
      signature: { type: 'string' },
      events: {
        type: 'array', minItems: 1,
        items: { type: 'object', required: ['id', 'token', 'state'], properties: { id: { type: 'string' }, token: { type: 'string' }, state: { enum: ['ACTIVE', 'DELETED'] } } },
      },
    },
  },
  authenticator: (options) => ({
    requiresRawBody: true,
    authenticate: (_req, rawBody) => {
      const sent = JSON.parse(rawBody.toString('utf8')) as BatchPayload;
      return typeof sent.signature === 'string' && sent.signature === signatureOf(options.key, sent);
    },
  }),
  split: (raw) => raw.events!.map((event) => ({ batch: raw.batch, event })),
  eventId: (raw) => raw.event!.id,
  normalize: (raw) => {
    if (raw.event!.token === 'unreadable') throw new Error('cannot read this event');
    return { type: raw.event!.state === 'ACTIVE' ? 'token.active' : 'token.deleted', state: raw.event!.state, tokenRef: raw.event!.token };
  },
  acknowledge: (outcome) => {
    if (!outcome.ok) return { status: outcome.error.status, rawBody: `<nack code="${outcome.error.code}"/>`, contentType: 'application/xml' };
    const events = (outcome.events ?? [{ eventId: outcome.eventId, duplicate: outcome.duplicate }])
      .map((e) => `<event id="${xmlAttribute(e.eventId)}" duplicate="${e.duplicate}"/>`).join('');
    return { status: 200, rawBody: `<ack>${events}</ack>`, contentType: 'application/xml' };
  },
  testKit: {
    kinds: ['active'],
    payload: (_kind, o) => ({ batch: 'b-1', events: [{ id: o.id ?? 'e-1', token: 't-1', state: 'ACTIVE' }, { id: `${o.id ?? 'e-1'}-2`, token: 't-2', state: 'DELETED' }] }),
    // The signature goes inside the body: the body sent is another than the one built.
    sign: (body, { secret }) => {
      const payload = JSON.parse(body.toString()) as BatchPayload;
      return { headers: {}, body: JSON.stringify({ ...payload, signature: signatureOf(secret ?? '', payload) }) };
    },
    readAcknowledgement: (status, _headers, body) => {
      const ids = [...body.matchAll(/<event id="([^"]*)" duplicate="(true|false)"\/>/g)];
      if (status !== 200) return { accepted: false, ...(/code="([^"]+)"/.exec(body) ? { code: /code="([^"]+)"/.exec(body)![1]! } : {}) };
      return { accepted: true, duplicate: ids.every((m) => m[2] === 'true'), ...(ids[0] ? { id: ids[0][1]! } : {}) };
    },
    options: ({ secret }) => ({ key: secret ?? '' }),
    cli: { flags: {}, send: { flags: [], what: '' }, credentials: () => ({}), example: { kind: 'active', flags: {} } },
  },
});

const KEY = 'batch-signing-key-0123456789';

describe('provider seams: what a provider module can say without a change to the core', () => {
  describe('an event id read from a header, and an empty answer', () => {
    const webhooks = createTokenWebhooks<TokenEvent<'hook'>>({ pruneIntervalMs: false });
    const seen: string[] = [];
    webhooks.onEvent((e) => { seen.push(`${e.id} ${e.tokenRef} ${e.type}`); });
    const app = express().use('/hook', webhooks.endpoint(hook, { authenticate: () => true }));
    const post = (id: string | undefined, body: object) => request(app).post('/hook')
      .set({ 'content-type': 'application/json', ...(id === undefined ? {} : { 'webhook-id': id }) }).send(JSON.stringify(body));

    it('dedupes by the header\'s id: a retry with the same id is a duplicate, another id is another event', async () => {
      const first = await post('msg_1', { token: 'tok-1', state: 'ACTIVE' });
      expect([first.status, first.text, first.headers['content-type'], first.headers['ntw-outcome']]).to.deep.equal([204, '', undefined, 'accepted']);
      const retry = await post('msg_1', { token: 'tok-1', state: 'ACTIVE' });
      expect([retry.status, retry.headers['ntw-outcome']]).to.deep.equal([204, 'duplicate']);
      await post('msg_2', { token: 'tok-1', state: 'SUSPENDED' }).expect(204);
      expect(seen).to.deep.equal(['msg_1 tok-1 token.active', 'msg_2 tok-1 token.suspended']);
    });

    it('refuses a delivery without the header in its own format: plain text', async () => {
      const res = await post(undefined, { token: 'tok-1', state: 'ACTIVE' });
      expect([res.status, res.text, res.headers['content-type']]).to.deep.equal([400, 'schema_violation', 'text/plain; charset=utf-8']);
    });
  });

  describe('a delivery of several events, signed inside its body, answered in XML', () => {
    for (const mode of ['sync', 'inbox'] as const) {
      it(`${mode} mode: each event recorded and run on its own, the answer after all of them; a retry is a duplicate of each`, async () => {
        const webhooks = createTokenWebhooks<TokenEvent<'batch'>>({ pruneIntervalMs: false, mode, inbox: { pollIntervalMs: false } });
        const seen: string[] = [];
        webhooks.onEvent((e) => { seen.push(`${e.id} ${e.tokenRef} ${e.state}`); });
        const app = express().use('/webhooks/batch', webhooks.endpoint(batch, { key: KEY }));
        // The test kit builds it, signs it inside the body and reads the XML answer.
        const payload = batch.testKit!.payload('active', { id: `e-${mode}` });
        const answer = await deliver(app, batch, payload, { credentials: { batch: KEY } });
        expect([answer.status, answer.headers['content-type']]).to.deep.equal([200, 'application/xml']);
        expect(answer.text).to.equal(`<ack><event id="e-${mode}" duplicate="false"/><event id="e-${mode}-2" duplicate="false"/></ack>`);
        expect(answer.acknowledgement).to.deep.equal({ accepted: true, duplicate: false, id: `e-${mode}` });
        if (mode === 'inbox') expect(await (webhooks as InboxTokenWebhooks<TokenEvent<'batch'>>).processInbox()).to.equal(2);
        expect(seen).to.deep.equal([`e-${mode} t-1 ACTIVE`, `e-${mode}-2 t-2 DELETED`]);
        expect((await webhooks.listEvents({ provider: 'batch' })).map((e) => e.id).sort()).to.deep.equal([`e-${mode}`, `e-${mode}-2`]);

        const retry = await deliver(app, batch, payload, { credentials: { batch: KEY } });
        expect(retry.text).to.equal(`<ack><event id="e-${mode}" duplicate="true"/><event id="e-${mode}-2" duplicate="true"/></ack>`);
        expect(retry.acknowledgement).to.include({ accepted: true, duplicate: true });
        // A later batch that repeats one event and brings a new one: only the new one runs.
        const next = await deliver(app, batch, { batch: 'b-2', events: [{ id: `e-${mode}-2`, token: 't-2', state: 'DELETED' }, { id: `e-${mode}-3`, token: 't-3', state: 'ACTIVE' }] }, { credentials: { batch: KEY } });
        expect(next.text).to.equal(`<ack><event id="e-${mode}-2" duplicate="true"/><event id="e-${mode}-3" duplicate="false"/></ack>`);
        if (mode === 'inbox') await (webhooks as InboxTokenWebhooks<TokenEvent<'batch'>>).processInbox();
        expect(seen).to.have.length(3);
        await webhooks.close();
      });
    }

    it('past the delivery\'s deadline: answered retry-later, the events not yet started left to the retry, which runs them once', async () => {
      const webhooks = createTokenWebhooks<TokenEvent<'batch'>>({ pruneIntervalMs: false, deadlineMs: 50 });
      const ran: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      webhooks.onEvent(async (e) => {
        ran.push(e.id);
        if (e.id === 'slow-1') await held; // the first event's handler holds past the deadline, until released
      });
      const app = express().use('/webhooks/batch', webhooks.endpoint(batch, { key: KEY }));
      const payload = { batch: 'b-4', events: [{ id: 'slow-1', token: 't-1', state: 'ACTIVE' }, { id: 'slow-2', token: 't-2', state: 'ACTIVE' }] };
      const first = await deliver(app, batch, payload, { credentials: { batch: KEY } });
      expect([first.status, first.text, first.headers['retry-after']]).to.deep.equal([503, '<nack code="timeout"/>', '5']);
      expect(ran).to.deep.equal(['slow-1']);
      release();
      const retry = await deliver(app, batch, payload, { credentials: { batch: KEY } });
      expect(retry.text).to.equal('<ack><event id="slow-1" duplicate="true"/><event id="slow-2" duplicate="false"/></ack>');
      expect(ran).to.deep.equal(['slow-1', 'slow-2']);
      await webhooks.close();
    });

    it('one event that cannot be read refuses the whole delivery: nothing recorded, nothing run', async () => {
      const webhooks = createTokenWebhooks<TokenEvent<'batch'>>({ pruneIntervalMs: false });
      let runs = 0;
      webhooks.onEvent(() => { runs++; });
      const app = express().use('/webhooks/batch', webhooks.endpoint(batch, { key: KEY }));
      const answer = await deliver(app, batch, { batch: 'b-3', events: [{ id: 'ok-1', token: 't-1', state: 'ACTIVE' }, { id: 'bad-1', token: 'unreadable', state: 'ACTIVE' }] }, { credentials: { batch: KEY } });
      expect([answer.status, answer.text]).to.deep.equal([400, '<nack code="schema_violation"/>']);
      expect(answer.acknowledgement).to.deep.equal({ accepted: false, code: 'schema_violation' });
      expect([runs, (await webhooks.listEvents()).length]).to.deep.equal([0, 0]);
    });

    it('quarantined whole, and replayed as its events once it reads', async () => {
      const webhooks = createTokenWebhooks<TokenEvent<'batch'>>({ pruneIntervalMs: false });
      const seen: string[] = [];
      webhooks.onEvent((e) => { seen.push(e.id); });
      const strict = express().use('/webhooks/batch', webhooks.endpoint(batch, { key: KEY, quarantine: true, schema: { type: 'object', required: ['never'] } }));
      const kept = await deliver(strict, batch, batch.testKit!.payload('active', { id: 'q-1' }), { credentials: { batch: KEY } });
      expect(kept.status).to.equal(200);
      const [quarantined] = await webhooks.listEvents({ status: 'quarantined' });
      expect(seen).to.deep.equal([]);
      webhooks.endpoint(batch, { key: KEY }); // the fixed schema: the provider's own
      expect(await webhooks.replay(quarantined!.id)).to.equal(1);
      expect(seen).to.deep.equal(['q-1', 'q-1-2']);
    });

    it('forged: a signature over other events is 401, in its own format', async () => {
      const webhooks = createTokenWebhooks<TokenEvent<'batch'>>({ pruneIntervalMs: false }).onEvent(() => undefined);
      const app = express().use('/webhooks/batch', webhooks.endpoint(batch, { key: KEY }));
      const answer = await deliver(app, batch, batch.testKit!.payload('active', {}), { credentials: { batch: 'another-key-0123456789' } });
      expect([answer.status, answer.text, answer.acknowledgement.code]).to.deep.equal([401, '<nack code="unauthorized"/>', 'unauthorized']);
    });
  });
});
