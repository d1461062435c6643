import { createHmac } from 'node:crypto';
import type { BuiltinName } from './payloads';

/** The secrets a receiver was configured with, as a test (or the CLI) signs deliveries for it. */
export interface TestCredentials {
  /** Cybersource: the key id and base64 secret of `cybersource({ keys })`. */
  readonly cybersource?: { readonly keyId: string; readonly key: string };
  /** Firstoken: the Webhook Key of `firstoken({ auth: { signingKeys } })`. */
  readonly firstoken?: string;
  /** A shared bearer secret (TokenEx, Firstoken, NI's static bearer), or an NI access token. */
  readonly bearer?: string;
  readonly basic?: { readonly username: string; readonly password: string };
  /** Clock of signatures, in ms. Default `Date.now`. */
  readonly now?: () => number;
}

const text = (body: string | Buffer | object) => (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));

/**
 * `v-c-signature` as Cybersource sends it: HMAC-SHA256 under the base64-decoded key over `<t>.<body>`,
 * or with `payloadOnly` over `<t>.<JSON of body.payload>` (what Cybersource's official plugins verify).
 */
export function cybersourceSignature(body: string | Buffer | object, key: { keyId: string; key: string }, options: { t?: number; payloadOnly?: boolean } = {}): string {
  const t = String(options.t ?? Date.now());
  const raw = text(body);
  const message = options.payloadOnly ? JSON.stringify((JSON.parse(raw.toString()) as { payload?: unknown }).payload) : raw;
  const sig = createHmac('sha256', Buffer.from(key.key, 'base64')).update(`${t}.`).update(message).digest('base64');
  return `t=${t};keyId=${key.keyId};sig=${sig}`;
}

/** `Firstoken-Signature: t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<body>">`, as this package verifies it by default. */
export function firstokenSignature(body: string | Buffer | object, key: string, options: { t?: number } = {}): string {
  const t = String(options.t ?? Math.floor(Date.now() / 1000));
  const s = createHmac('sha256', key).update(`${t}.`).update(text(body)).digest('hex');
  return `t=${t},s=${s}`;
}

/** The headers that authenticate `body` to `provider` with `credentials`: a signature when the provider has one configured, else the shared secret. */
export function authHeaders(provider: BuiltinName | string, body: string | Buffer | object, credentials: TestCredentials): Record<string, string> {
  const now = credentials.now?.() ?? Date.now();
  const headers: Record<string, string> = {};
  if (provider === 'cybersource' && credentials.cybersource) headers['v-c-signature'] = cybersourceSignature(body, credentials.cybersource, { t: now });
  if (provider === 'firstoken' && credentials.firstoken) headers['firstoken-signature'] = firstokenSignature(body, credentials.firstoken, { t: Math.floor(now / 1000) });
  if (credentials.bearer) headers.authorization = `Bearer ${credentials.bearer}`;
  else if (credentials.basic) headers.authorization = `Basic ${Buffer.from(`${credentials.basic.username}:${credentials.basic.password}`).toString('base64')}`;
  return headers;
}
