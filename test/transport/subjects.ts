import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import type { Response } from 'supertest';
import { defineProvider } from '../../lib';
import type { Provider, ProviderOptions } from '../../lib';
import { optionsFor } from '../../lib/testing/credentials';
import { TEST_CREDENTIALS } from '../helpers/app';
import { edited, fixture } from '../helpers/fixtures';
import { DESCRIPTORS, descriptor } from '../providers/descriptors';

/** What the shared adapter table delivers to one endpoint, and how it reads the answers. */
export interface Subject {
  readonly name: string;
  readonly provider: string | Provider<string, never, never>;
  readonly options: object;
  /** An authentic delivery, its bytes. */
  readonly body: string;
  /** How many events it carries. */
  readonly events: number;
  /** Answers a GET, and an empty POST, as a sender's health check. */
  readonly healthCheck: boolean;
  /** The headers that authenticate `body`. */
  sign(body: string): Record<string, string>;
  expectAccepted(res: Response, duplicate: boolean): void;
  expectRefused(res: Response, status: number, code: string): void;
  /** The documented code of a refusal, from the answer's text. */
  refusalCode(status: number, text: string): string | undefined;
  /** Authenticated before the endpoint (mutual TLS checked by a gateway): no 401 case here; its own suite has them. */
  readonly authenticatedElsewhere?: boolean;
  /** Only the cases about what it carries (authentic, duplicate), not the refusals every endpoint shares. */
  readonly carriageOnly?: boolean;
}

/** A body timeout short enough for the slow-body case (the body deadline's sweep runs every 250 ms). */
const BODY_TIMEOUT_MS = 400;

/**
 * The endpoint options of a provider in the table. One whose tests put a transport of their own in front (Mastercard:
 * a client certificate and an encrypted body, tested over real TLS in its own suite) is mounted as behind a gateway
 * that checked the certificate and decrypted the body: what the table's transports can carry.
 */
function tableOptions(d: (typeof DESCRIPTORS)[number]): object {
  if (!d.testMount) return optionsFor(d.name, TEST_CREDENTIALS) ?? {};
  const { decryption: _decryption, ...options } = d.testMount.options as Record<string, unknown>;
  return { ...options, auth: 'none' };
}

/** Every built-in provider, through its test descriptor: its sample delivery, its credentials and its answer format. */
const builtin = DESCRIPTORS.map((d): Subject => {
  const body = fixture(d.name, d.sample).text;
  const id = d.expected[d.sample]!.id;
  return {
    name: d.name,
    provider: d.name,
    options: { ...tableOptions(d), bodyTimeoutMs: BODY_TIMEOUT_MS },
    authenticatedElsewhere: d.testMount !== undefined,
    body,
    events: 1,
    healthCheck: d.healthCheck,
    sign: (text) => d.credentials(text, TEST_CREDENTIALS),
    expectAccepted: (res, duplicate) => d.expectSuccess(res, id, duplicate, JSON.parse(body)),
    expectRefused: (res, status, code) => d.expectRejection(res, status, code),
    refusalCode: (_status, text) => d.errorCode(JSON.parse(text)),
  };
});

/** Cybersource's older form: several notifications in one delivery's `payload` array, each one an event. */
const cybersource = descriptor('cybersource');
const severalIds = ['P47C5DF0BD0079A8E053XXXXXX0A5CDH', 'P47C5DF0BD0079A8E053XXXXXX0A5CDI'];
const several: Subject = {
  ...builtin.find((s) => s.name === 'cybersource')!,
  name: 'cybersource, several events in one delivery',
  body: edited('cybersource', 'documented/plugin-array-form', (p) => {
    const second = JSON.parse(JSON.stringify(p.payload[0]));
    second.data.id = severalIds[1];
    second.data._links.instrumentIdentifiers[0].href = '/tms/v1/instrumentidentifiers/7036349999987050573';
    p.payload.push(second);
  }),
  events: 2,
  expectAccepted(res, duplicate) {
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ received: true, id: severalIds[0], duplicate, events: severalIds.map((id) => ({ id, duplicate })) });
  },
  expectRefused: (res, status, code) => cybersource.expectRejection(res, status, code),
  carriageOnly: true,
};

/** A provider of the tests' own that answers in plain text, and carries several events signed over the body's bytes. */
interface BatchPayload {
  readonly events?: readonly { readonly id: string; readonly token: string }[];
  readonly event?: { readonly id: string; readonly token: string };
}
const BATCH_KEY = 'batch-key-0123456789';
const batchSignature = (body: string | Buffer) => createHmac('sha256', BATCH_KEY).update(body).digest('hex');

const batchProvider = defineProvider<'batch', BatchPayload, ProviderOptions & { readonly key: string }>({
  name: 'batch',
  schema: {
    type: 'object',
    required: ['events'],
    properties: { events: { type: 'array', minItems: 1, items: { type: 'object', required: ['id', 'token'], properties: { id: { type: 'string' }, token: { type: 'string' } } } } },
  },
  optionNames: { key: true },
  authenticator: (options) => ({
    requiresRawBody: true,
    authenticate: (req, rawBody) => req.headers['x-batch-signature'] === createHmac('sha256', options.key).update(rawBody).digest('hex'),
  }),
  split: (raw) => raw.events!.map((event) => ({ event })),
  eventId: (raw) => raw.event!.id,
  normalize: (raw) => ({ type: 'token.suspended', state: 'SUSPENDED', tokenRef: raw.event!.token }),
  acknowledge: (outcome) => {
    if (!outcome.ok) return { status: outcome.error.status, rawBody: `refused ${outcome.error.code}\n` };
    const events = outcome.events ?? [{ eventId: outcome.eventId, duplicate: outcome.duplicate }];
    return { status: 200, rawBody: `${events.map((e) => `${e.eventId} ${e.duplicate ? 'duplicate' : 'accepted'}`).join('\n')}\n` };
  },
});

const batch: Subject = {
  name: 'a provider answering in plain text (several events, signed over the bytes)',
  provider: batchProvider as unknown as Provider<string, never, never>,
  options: { key: BATCH_KEY, bodyTimeoutMs: BODY_TIMEOUT_MS },
  body: JSON.stringify({ events: [{ id: 'batch-1', token: 'tok-1' }, { id: 'batch-2', token: 'tok-2' }] }),
  events: 2,
  healthCheck: false,
  sign: (text) => ({ 'x-batch-signature': batchSignature(text) }),
  expectAccepted(res, duplicate) {
    expect(res.status, res.text).to.equal(200);
    expect(res.headers['content-type']).to.equal('text/plain; charset=utf-8');
    const word = duplicate ? 'duplicate' : 'accepted';
    expect(res.text).to.equal(`batch-1 ${word}\nbatch-2 ${word}\n`);
  },
  expectRefused(res, status, code) {
    expect(res.status, res.text).to.equal(status);
    expect(res.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(res.text).to.equal(`refused ${code}\n`);
  },
  refusalCode: (_status, text) => /^refused (\w+)/.exec(text)?.[1],
};

export const SUBJECTS: readonly Subject[] = [...builtin, several, batch];
