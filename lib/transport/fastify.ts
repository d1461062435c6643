/**
 * `network-token-webhooks/fastify`: an endpoint as a Fastify 5 plugin, registered once per endpoint.
 *
 * ```ts
 * import Fastify from 'fastify';
 * import { tokenWebhooks } from 'network-token-webhooks/fastify';
 *
 * const app = Fastify();
 * app.register(tokenWebhooks, { webhooks, provider: 'tokenex', path: '/webhooks/tokenex', options: { auth: { bearer } } });
 * ```
 *
 * @module network-token-webhooks/fastify
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import { ConfigurationError } from '../errors';
import type { TokenEvent } from '../events';
import type { BuiltinProviders } from '../providers/builtin';
import type { OptionsOf, Provider, ProviderOptions } from '../providers/provider';
import type { DeliveryInput } from '../pipeline/request';
import type { Receiver, TokenWebhooks } from '../types';
import { clientCertificateOf } from './node/client-certificate';
import { mustClose, release } from './node/respond';
import { EMPTY, hasNoBody } from './node/request';

/** What `tokenWebhooks` mounts: one endpoint of `webhooks`, for `provider`, at `path`. */
export interface TokenWebhooksPluginOptionsOf<P, O> {
  /** The receiver the endpoint belongs to (`createTokenWebhooks()`): its handlers, storage and settings. */
  readonly webhooks: TokenWebhooks<TokenEvent>;
  /** A built-in provider by its name, or a provider of yours (`defineProvider`). */
  readonly provider: P;
  /** The endpoint's path (`/webhooks/tokenex`), under the prefix the plugin is registered with. */
  readonly path: string;
  /** The provider's options, as `webhooks.<provider>(options)` takes them. */
  readonly options: O;
}

/** `tokenWebhooks`' options: a built-in provider by its name with its options, or a provider of yours with the options it takes (checked when it is registered). */
export type TokenWebhooksPluginOptions =
  | { [N in keyof BuiltinProviders]: TokenWebhooksPluginOptionsOf<N, OptionsOf<BuiltinProviders[N]>> }[keyof BuiltinProviders]
  | (Omit<TokenWebhooksPluginOptionsOf<Provider<string, unknown, ProviderOptions, unknown>, never>, 'options'>
    & { readonly options?: ProviderOptions & Readonly<Record<string, unknown>> });

/** The body streams the plugin's own content-type parser set aside, unread, for the handler's pipeline to read. */
const bodies = new WeakMap<FastifyRequest, NodeJS.ReadableStream>();

function checkPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path === '/') {
    throw new ConfigurationError('ERR_NTW_MOUNT_PATH',
      `tokenWebhooks needs the endpoint's own path, such as '/webhooks/tokenex' (got ${JSON.stringify(path)}): at the root it would answer every request of the app`);
  }
  return path;
}

/** The Fastify request as the pipeline takes it: the body still unread (the pipeline reads it with its limits), or none. */
function deliveryInput(request: FastifyRequest): DeliveryInput {
  const raw = request.raw;
  const stream = bodies.get(request);
  return {
    method: request.method,
    headers: request.headers,
    ...(stream === undefined && hasNoBody(raw) ? { rawBody: EMPTY } : { stream: stream ?? raw }),
    get ip() { return request.ip; },
    get clientCertificate() { return clientCertificateOf(raw); },
  };
}

/** The answer through Fastify's reply (its hooks see it); the connection drained or closed as the Node adapter does. */
async function answer(receive: Receiver, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { outcome, status, headers, body } = await receive(deliveryInput(request));
  const close = mustClose(request.raw, outcome);
  reply.code(status).headers(headers);
  if (close) reply.header('connection', 'close');
  release(request.raw, reply.raw, close);
  return reply.send(body === '' ? undefined : body);
}

/**
 * The Fastify 5 plugin of one endpoint: `app.register(tokenWebhooks, { webhooks, provider, path, options })`, once
 * per endpoint. It answers every method at `path` (a sender's `GET` health check where the provider has one; `405`
 * for the others, as the Express endpoint does), and reads the raw body itself in its own encapsulated context:
 * the app's JSON parser never sees the body, signatures verify over the exact bytes, and the endpoint's size limit
 * and body deadline apply as the body arrives. No `fastify-plugin` wrapper: its parser must stay in its own context.
 */
function plugin(app: FastifyInstance, opts: TokenWebhooksPluginOptions, done: (error?: Error) => void): void {
  let receive: Receiver;
  let path: string;
  try {
    path = checkPath(opts.path);
    const { webhooks, provider, options } = opts as { webhooks: TokenWebhooks<TokenEvent>; provider: Provider<string, unknown, ProviderOptions>; options?: ProviderOptions };
    if (typeof webhooks?.receiver !== 'function') {
      throw new ConfigurationError('ERR_NTW_OPTION', 'tokenWebhooks needs `webhooks`: the receiver createTokenWebhooks() made');
    }
    receive = (webhooks.receiver as (p: typeof provider, o?: ProviderOptions) => Receiver)(provider, options);
  } catch (error) {
    done(error as Error);
    return;
  }
  // The body is the pipeline's to read: set aside unread, whatever its content type (the pipeline answers 415).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, parsed) => {
    bodies.set(request, payload);
    parsed(null, undefined);
  });
  app.all(path, (request, reply) => answer(receive, request, reply));
  // A Content-Type Fastify cannot even parse is refused before any parser runs: answered by the pipeline too, in
  // the provider's format (and counted and reported as its refusals are).
  app.setErrorHandler((error: { code?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return answer(receive, request, reply);
    throw error;
  });
  done();
}

const meta = { name: 'network-token-webhooks', fastify: '5.x' };

/** The plugin, `tokenWebhooks` and the module's `default`. */
export const tokenWebhooks: FastifyPluginCallback<TokenWebhooksPluginOptions> = Object.assign(plugin, {
  [Symbol.for('plugin-meta')]: meta,
  [Symbol.for('fastify.display-name')]: meta.name,
});

export default tokenWebhooks;
