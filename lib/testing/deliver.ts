import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Receiver, TokenWebhooks } from '../types';
import type { TokenEvent } from '../events';
import type { BuiltinProviders } from '../providers/builtin';
import { builtinProviders } from '../providers/builtin';
import type { OptionsOf } from '../providers/provider';
import type { TestCredentials } from './credentials';
import { authHeaders } from './credentials';
import { OUTCOME_HEADER } from '../pipeline/outcome';
import type { BuiltinName } from './payloads';

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
   * refusal's documented code.
   */
  readonly acknowledgement: { readonly accepted: boolean; readonly duplicate?: boolean; readonly id?: string; readonly code?: string };
}

export interface DeliverOptions {
  /** Where the endpoint is mounted. Default `/webhooks/<provider>`. */
  readonly path?: string;
  readonly credentials?: TestCredentials;
  /** More headers, or ones that replace the defaults (`content-type: application/json` and the credentials). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The event id of a sent NI notification: NI's answer carries a reference of the receiver's own instead. */
function sentId(sent: string): string | undefined {
  try {
    const id = (JSON.parse(sent) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

function acknowledgementOf(status: number, headers: Record<string, string>, body: unknown, sent: string): Answer['acknowledgement'] {
  const answer = body as { received?: boolean; id?: string; duplicate?: boolean; error?: { code?: string }; response?: { status?: { code?: string; description?: string } } } | undefined;
  // The receiver names the outcome in a header too: NI's answer format has no duplicate flag.
  const outcome = headers[OUTCOME_HEADER];
  if (answer?.response?.status) { // Network International's format
    if (answer.response.status.code !== '00') return { accepted: false, ...(answer.response.status.description ? { code: answer.response.status.description } : {}) };
    const id = sentId(sent);
    return { accepted: true, ...(outcome ? { duplicate: outcome === 'duplicate' } : {}), ...(id ? { id } : {}) };
  }
  if (status >= 200 && status < 300) {
    const duplicate = typeof answer?.duplicate === 'boolean' ? answer.duplicate : outcome ? outcome === 'duplicate' : undefined;
    return { accepted: true, ...(duplicate === undefined ? {} : { duplicate }), ...(answer?.id ? { id: answer.id } : {}) };
  }
  return { accepted: false, ...(answer?.error?.code ? { code: answer.error.code } : {}) };
}

function answer(status: number, headers: Record<string, string>, text: string, sent: string): Answer {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, headers, text, body, acknowledgement: acknowledgementOf(status, headers, body, sent) };
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
async function post(target: Target, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  if (typeof target === 'string') {
    const res = await fetch(new URL(path, target), { method: 'POST', headers, body });
    return answer(res.status, Object.fromEntries(res.headers), await res.text(), body);
  }
  const agent = optionalSupertest();
  if (agent) {
    const res = await agent(target).post(path).set(headers).send(body);
    return answer(res.status, res.headers, res.text, body);
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
export async function deliver(target: Target, provider: BuiltinName | string, payload: object | string, options: DeliverOptions = {}): Promise<Answer> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const headers = { 'content-type': 'application/json', ...authHeaders(provider, body, options.credentials ?? {}), ...options.headers };
  return post(target, options.path ?? `/webhooks/${provider}`, headers, body);
}

/**
 * The same without HTTP: the notification goes through the whole pipeline of `webhooks` (authentication,
 * schema, dedupe, storage, your handlers) by its transport-free receiver, mounted with `options` as in your app.
 */
export async function receive<N extends BuiltinName, E extends TokenEvent>(webhooks: TokenWebhooks<E>, provider: N, payload: object | string,
  options: { readonly options?: OptionsOf<BuiltinProviders[N]>; readonly credentials?: TestCredentials } = {}): Promise<Answer> {
  const receiver: Receiver = webhooks.receiver(builtinProviders[provider] as never, options.options as never);
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const result = await receiver({ headers: { 'content-type': 'application/json', ...authHeaders(provider, body, options.credentials ?? {}) }, rawBody: body });
  return answer(result.status, { ...result.headers }, result.body, body);
}

/** A token endpoint's refusal: its status and OAuth `error` code, when it gave one. */
export class TokenRequestError extends Error {
  /** What it answered, as `401 invalid_client`. */
  readonly answer: string;

  constructor(readonly status: number, readonly code: string | undefined) {
    const answer = `${status} ${code ?? (status === 200 ? 'without an access token' : '(no code)')}`;
    super(`the token endpoint answered ${answer}`);
    this.name = 'TokenRequestError';
    this.answer = answer;
  }
}

/** An access token from an NI token endpoint (`niTokenEndpoint()`), as NI obtains one: client credentials in the form body. */
export async function niAccessToken(target: Target, client: { clientId: string; clientSecret: string }, path = '/oauth/ni/token'): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString();
  const res = await post(target, path, { 'content-type': 'application/x-www-form-urlencoded' }, body);
  const answer = res.body as { access_token?: unknown; error?: unknown } | undefined;
  if (res.status !== 200 || typeof answer?.access_token !== 'string') throw new TokenRequestError(res.status, typeof answer?.error === 'string' ? answer.error : undefined);
  return answer.access_token;
}
