import { createHmac } from 'node:crypto';
import express from 'express';
import type { Express } from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { createTokenWebhooks, niTokenEndpoint } from '../../lib';
import type { OAuthTokenEndpoint, TokenEvent, TokenWebhooks, TokenWebhooksOptions } from '../../lib';
import { recordHandlers } from '../helpers/app';
import { optionsFor } from '../../lib/testing/credentials';
import { DESCRIPTORS, descriptor } from '../providers/descriptors';
import type { Credentials, ProviderName } from '../providers/descriptor';
import type { Recorder } from '../helpers/app';

export { PROVIDERS } from '../providers/descriptors';
export type { ProviderName };

/** The fixed clock of every security test: 2025-07-03T10:30:00Z. */
export const T0 = Date.UTC(2025, 6, 3, 10, 30);
/** Cybersource's default signature window: 60 minutes back (its own sample and cartridge), 5 minutes ahead. */
export const TOLERANCE = 60 * 60 * 1000;
export const FUTURE_TOLERANCE = 5 * 60 * 1000;

/** Two Cybersource keys configured at once (rotation), and one nobody configured. */
export const CS_KEYS = {
  'key-2024': Buffer.alloc(32, 1).toString('base64'),
  'key-2025': Buffer.alloc(32, 2).toString('base64'),
};
export const CS_FOREIGN_KEY = Buffer.alloc(32, 3).toString('base64');

/** Shared secrets for TokenEx and Firstoken: old and new while rotating, plus basic credentials. */
export const SECRETS = ['shared-secret-old-0123456789', 'shared-secret-new-9876543210'] as const;
export const BASIC = { username: 'tokenex', password: 'basic-password-0123456789' };
export const NI_STATIC = 'ni-static-bearer-0123456789';
export const NI_CLIENTS = [
  { clientId: 'ni-client-old', clientSecret: 'ni-client-secret-old-0123456789' },
  { clientId: 'ni-client-new', clientSecret: 'ni-client-secret-new-9876543210' },
] as const;
export const NI_TTL = 600;

/** A `v-c-signature` over `<t>.<message>` (the exact bytes when `message` is a Buffer). */
export function csSignature(message: string | Buffer, options: { t?: number; keyId?: string; key?: string } = {}): string {
  const t = String(options.t ?? T0);
  const keyId = options.keyId ?? 'key-2025';
  const key = Buffer.from(options.key ?? CS_KEYS[keyId as keyof typeof CS_KEYS] ?? CS_FOREIGN_KEY, 'base64');
  const sig = createHmac('sha256', key).update(`${t}.`).update(message).digest('base64');
  return `t=${t};keyId=${keyId};sig=${sig}`;
}

export interface SecurityReceiver {
  readonly app: Express;
  readonly webhooks: TokenWebhooks<TokenEvent>;
  readonly recorder: Recorder;
  readonly niTokens: OAuthTokenEndpoint;
  /** Move the shared clock (ms since the epoch). */
  setClock(ms: number): void;
}

/** The credentials `securityReceiver` configures (the newer of each rotating pair; each other provider's own secret, its descriptor's). */
const SECURITY_CREDENTIALS: Credentials = {
  ...Object.fromEntries(DESCRIPTORS.flatMap((d) => (d.secret === undefined ? [] : [[d.name, d.secret]]))),
  bearer: SECRETS[1], ni: NI_STATIC, cybersource: { keyId: 'key-2025', key: CS_KEYS['key-2025'] }, now: () => T0,
};

/**
 * Every built-in provider with every credential kind configured, on one injected clock: the four whose security
 * tests rotate secrets, take basic credentials or OAuth tokens as below; any other as its descriptor's `testMount`
 * says, else with its test kit's options.
 */
export function securityReceiver(configure?: (app: Express) => void, options: TokenWebhooksOptions = {}): SecurityReceiver {
  let clock = T0;
  const now = () => clock;
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, now: () => new Date(clock), ...options });
  const recorder = recordHandlers(webhooks);
  const niTokens = niTokenEndpoint({ clients: NI_CLIENTS, ttl: NI_TTL, now });
  const app = express();
  configure?.(app);
  app.post('/oauth/ni/token', niTokens);
  const mounted: Partial<Record<ProviderName, object>> = {
    cybersource: { keys: CS_KEYS, now },
    tokenex: { auth: { bearer: SECRETS, basic: BASIC } },
    ni: { auth: { bearer: NI_STATIC, oauth: niTokens } },
    firstoken: { auth: { bearer: SECRETS, basic: BASIC } },
  };
  for (const { name, testMount } of DESCRIPTORS) {
    if (testMount) app.use(`/webhooks/${name}`, testMount.transport);
    app.use(`/webhooks/${name}`, webhooks.endpoint(name, (mounted[name] ?? testMount?.options ?? optionsFor(name, SECURITY_CREDENTIALS)) as never));
  }
  return { app, webhooks, recorder, niTokens, setClock: (ms) => { clock = ms; } };
}

/** The credentials `securityReceiver` accepts. */
export const securityCredentials = (): Credentials => SECURITY_CREDENTIALS;

/** Valid credentials for `provider` over `body` (for NI, a static bearer). */
export function validHeaders(provider: ProviderName, body: string | Buffer): Record<string, string> {
  return descriptor(provider).credentials(body, SECURITY_CREDENTIALS);
}

/** POST `body` byte for byte (superagent would JSON-serialize a Buffer sent with a JSON content type). */
export function post(app: Express, provider: ProviderName, body: string | Buffer, headers: Record<string, string>) {
  const req = request(app).post(`/webhooks/${provider}`).set({ 'content-type': 'application/json', ...headers });
  if (Buffer.isBuffer(body)) req.serialize((data) => data as string);
  return req.send(body);
}

/** Obtain an NI access token from the token endpoint with client_secret_post. */
export async function niAccessToken(app: Express, client: { clientId: string; clientSecret: string } = NI_CLIENTS[1]): Promise<string> {
  const res = await request(app).post('/oauth/ni/token').type('form')
    .send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return (res.body as { access_token: string }).access_token;
}

/** The documented code of a rejection, read from the provider's own response format. */
export function rejectionCode(provider: ProviderName, res: Pick<Response, 'body'>): string | undefined {
  return descriptor(provider).errorCode(res.body);
}
