import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Receiver, TokenWebhooks } from '../types';
import type { TokenEvent } from '../events';
import type { BuiltinProviders } from '../providers/builtin';
import { builtinProviders } from '../providers/builtin';
import type { OptionsOf } from '../providers/provider';
import type { AcknowledgementReading } from '../providers/test-kit';
import { jsonOf, readJsonAcknowledgement } from '../providers/test-kit';
import { accessTokenOf, tokenRequestBody } from '../auth/token-request';
import type { CredentialsFor, TestCredentials } from './credentials';
import { optionsFor, signDelivery } from './credentials';
import type { BuiltinName, ProviderRef } from './payloads';
import { nameOf, testKitOf } from './payloads';

export { TokenRequestError } from '../auth/token-request';

/** An app (an Express app or any Node request listener), or the base URL of a running receiver. */
export type Target = RequestListener | string;

/** What the receiver answered, read in the provider's own format. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body as JSON, when it is. */
  readonly body: unknown;
  /**
   * Accepted (a 2xx); a duplicate of an event already received (from the answer, or its `ntw-outcome` header);
   * the event id (NI's answer names a reference of its own: this is the sent notification's `id`); or the
   * refusal's documented code. Read by the provider's test kit.
   */
  readonly acknowledgement: AcknowledgementReading;
}

export interface DeliverOptions<C = TestCredentials> {
  /** Where the endpoint is mounted. Default `/webhooks/<provider>`. */
  readonly path?: string;
  readonly credentials?: C;
  /** More headers, or ones that replace the defaults (`content-type: application/json` and the credentials). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** An answer, read by `provider`'s kit (the default JSON format for a provider without one). */
function answer(provider: ProviderRef, status: number, headers: Record<string, string>, text: string, sent: string): Answer {
  const read = testKitOf(provider)?.readAcknowledgement ?? readJsonAcknowledgement;
  return { status, headers, text, body: jsonOf(text), acknowledgement: read(status, headers, text, sent) };
}

/** A response before it is read. */
interface Raw {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** The part of supertest this uses, when the project has it installed. */
type Supertest = (app: RequestListener) => {
  post(path: string): { set(headers: Record<string, string>): { send(body: string): PromiseLike<{ status: number; headers: Record<string, string>; text: string }> } };
};

let supertest: Supertest | null | undefined;
function optionalSupertest(): Supertest | undefined {
  if (supertest === undefined) {
    try {
      supertest = require('supertest') as Supertest;
    } catch {
      supertest = null;
    }
  }
  return supertest ?? undefined;
}

/**
 * `fetch` against a URL; an app through supertest when the project has it (as its other tests do), else
 * through `fetch` while it listens on a loopback port for the time of the request.
 */
async function post(target: Target, path: string, headers: Record<string, string>, body: string): Promise<Raw> {
  if (typeof target === 'string') {
    const res = await fetch(new URL(path, target), { method: 'POST', headers, body });
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
  }
  const agent = optionalSupertest();
  if (agent) {
    const res = await agent(target).post(path).set(headers).send(body);
    return { status: res.status, headers: res.headers, text: res.text };
  }
  const server = createServer(target);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  try {
    return await post(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, path, headers, body);
  } finally {
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * POST a notification to a receiver, authenticated as `credentials` say, and read the answer. `target` is your
 * app (it listens on a loopback port for the time of the request) or a running receiver's base URL.
 *
 * ```ts
 * const answer = await deliver(app, 'tokenex', buildPayload('tokenex', 'suspended'), { credentials: { bearer } });
 * assert.equal(answer.acknowledgement.accepted, true);
 * ```
 */
export async function deliver<P extends ProviderRef>(target: Target, provider: P, payload: object | string, options: DeliverOptions<CredentialsFor<P>> = {}): Promise<Answer> {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signed = signDelivery(provider, text, options.credentials ?? {} as CredentialsFor<P>);
  const body = signed.body ?? text;
  const res = await post(target, options.path ?? `/webhooks/${nameOf(provider)}`, { 'content-type': 'application/json', ...signed.headers, ...options.headers }, body);
  return answer(provider, res.status, res.headers, res.text, body);
}

/**
 * The same without HTTP: the notification goes through the whole pipeline of `webhooks` (authentication,
 * schema, dedupe, storage, your handlers) by its transport-free receiver, mounted with `options` as in your app
 * (default: the options that accept `credentials`).
 */
export async function receive<N extends BuiltinName, E extends TokenEvent>(webhooks: TokenWebhooks<E>, provider: N, payload: object | string,
  options: { readonly options?: OptionsOf<BuiltinProviders[N]>; readonly credentials?: TestCredentials } = {}): Promise<Answer> {
  const credentials = options.credentials ?? {};
  const name: BuiltinName = provider;
  const mountOptions = options.options ?? optionsFor(name, credentials);
  const receiver: Receiver = webhooks.receiver(builtinProviders[provider] as never, mountOptions as never);
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const signed = signDelivery(name, text, credentials);
  const body = signed.body ?? text;
  const result = await receiver({ headers: { 'content-type': 'application/json', ...signed.headers }, rawBody: body });
  return answer(provider, result.status, { ...result.headers }, result.body, body);
}

/** An access token from an NI token endpoint (`niTokenEndpoint()`), as NI obtains one: client credentials in the form body. */
export async function niAccessToken(target: Target, client: { clientId: string; clientSecret: string }, path = '/oauth/ni/token'): Promise<string> {
  const res = await post(target, path, { 'content-type': 'application/x-www-form-urlencoded' }, tokenRequestBody(client));
  return accessTokenOf(res.status, jsonOf(res.text));
}
