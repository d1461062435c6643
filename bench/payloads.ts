/**
 * What the load generator sends: the providers' own example payloads (test/providers/<provider>/fixtures/),
 * each padded to a fixed size with an extra field (the schemas allow extra fields), with a new event id and
 * a new token reference per delivery, and the credentials each server checks, computed per request.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, SECRETS, settings } from './config';

export type TrafficKind = 'cybersource' | 'tokenex' | 'ni' | 'octokit';

export interface BenchRequest {
  readonly body: string;
  readonly headers: Record<string, string>;
}

/** Delivery `n` of one traffic kind: the same size for every `n`. */
export type Traffic = (n: number) => BenchRequest;

const ID = '@@ID@@';
const TOKEN = '@@TOKEN@@';
const WIDTH = 7;

/**
 * `n` written with letters only, at a fixed width: ids of one size (so every body has the same length) that
 * can never look like a card number (which the library would replace by a keyed hash).
 */
export function letters(n: number, width = WIDTH): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  }
  return out;
}

/** A random run tag of letters, so ids never repeat across runs sharing a store. */
export const runTag = (): string => letters(Math.floor(Math.random() * 26 ** 5), 5);

const fixture = (provider: string, name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(ROOT, 'test', 'providers', provider, 'fixtures', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** The payload as JSON with the id and token placeholders, padded so that the rendered body is `bytes` long. */
function template(payload: Record<string, unknown>, bytes: number, idLength: number, tokenLength: number): string {
  const withPad = { ...payload, benchPadding: '' };
  const bare = JSON.stringify(withPad);
  const rendered = bare.length + count(bare, ID) * (idLength - ID.length) + count(bare, TOKEN) * (tokenLength - TOKEN.length);
  withPad.benchPadding = 'x'.repeat(Math.max(0, bytes - rendered));
  return JSON.stringify(withPad);
}

const count = (text: string, part: string) => text.split(part).length - 1;

/** Each provider's example, with the placeholders where its event id and token reference go. */
const EXAMPLES: Record<'cybersource' | 'tokenex' | 'ni', () => Record<string, unknown>> = {
  cybersource() {
    const p = fixture('cybersource', 'network-token-suspended') as { payload: { data: { id: string; _links: { 'tokenized-cards': { id: string; href: string }[] } } } };
    p.payload.data.id = ID;
    const card = p.payload.data._links['tokenized-cards'][0]!;
    card.id = TOKEN;
    card.href = `/tms/v2/tokenized-cards/${TOKEN}`;
    return p as unknown as Record<string, unknown>;
  },
  tokenex() {
    const p = fixture('tokenex', 'request') as { networkTokenStateChangeNotification: { messageId: string; tokenReferenceId: string } };
    p.networkTokenStateChangeNotification.messageId = ID;
    p.networkTokenStateChangeNotification.tokenReferenceId = TOKEN;
    return p as unknown as Record<string, unknown>;
  },
  ni() {
    const p = fixture('ni', 'sample-request-for-tc') as { id: string; details: { card: { id: { value: string } } } };
    p.id = ID;
    p.details.card.id.value = TOKEN;
    return p as unknown as Record<string, unknown>;
  },
};

/** A `v-c-signature` over `<t>.<body>`, as Cybersource signs (test/providers/descriptor.ts `cybersourceSignature`). */
export function cybersourceSignature(body: string, t: number = Date.now()): string {
  const sig = createHmac('sha256', Buffer.from(SECRETS.cybersourceKey, 'base64')).update(`${t}.`).update(body).digest('base64');
  return `t=${t};keyId=${SECRETS.cybersourceKeyId};sig=${sig}`;
}

/** GitHub's `X-Hub-Signature-256`. */
export const hubSignature = (body: string): string => `sha256=${createHmac('sha256', SECRETS.octokitSecret).update(body).digest('hex')}`;

/** The event id of delivery `n` of a run tagged `tag`. */
export const eventId = (tag: string, n: number) => `evt-${tag}-${letters(n)}`;

/** The token reference of delivery `n` (each delivery names a token of its own). */
export const tokenRef = (tag: string, n: number) => `TOK${tag.toUpperCase()}${letters(n).toUpperCase()}`;

/** The body of delivery `n` of `kind`'s example (octokit: Cybersource's, so every baseline measures the same bytes). */
export function bodies(kind: TrafficKind, tag: string, bytes = settings.bodyBytes): (n: number) => string {
  const id = (n: number) => eventId(tag, n);
  const token = (n: number) => tokenRef(tag, n);
  const text = template(EXAMPLES[kind === 'octokit' ? 'cybersource' : kind](), bytes, id(0).length, token(0).length);
  return (n) => text.replaceAll(ID, id(n)).replaceAll(TOKEN, token(n));
}

/**
 * Requests of one kind. `n` picks the event: a new `n` is a new event (id and token); the same `n` is the same
 * event again (a duplicate). Credentials are computed per request, as a provider computes them.
 */
export function traffic(kind: TrafficKind, tag: string): Traffic {
  const body = bodies(kind, tag);
  const json = { 'content-type': 'application/json' };
  switch (kind) {
    case 'cybersource':
      return (n) => { const b = body(n); return { body: b, headers: { ...json, 'v-c-signature': cybersourceSignature(b) } }; };
    case 'tokenex':
    case 'ni':
      return (n) => ({ body: body(n), headers: { ...json, authorization: `Bearer ${SECRETS.bearer}` } });
    case 'octokit':
      return (n) => {
        const b = body(n);
        return { body: b, headers: { ...json, 'x-github-event': 'push', 'x-github-delivery': eventId(tag, n), 'x-hub-signature-256': hubSignature(b) } };
      };
  }
}
