import express from 'express';
import type { Express } from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { InboxTokenWebhooks, TokenEvent, TokenWebhooks, TokenWebhooksOptions } from '../../lib';
import { CYBERSOURCE_KEY, CYBERSOURCE_KEYS, CYBERSOURCE_KEY_ID } from './cybersource';
import { descriptor } from '../providers/descriptors';
import type { Credentials } from '../providers/descriptor';

export const BEARER = 'test-bearer-secret-0123456789';

/** The credentials `testReceiver` configures. */
export const TEST_CREDENTIALS: Credentials = { bearer: BEARER, cybersource: { keyId: CYBERSOURCE_KEY_ID, key: CYBERSOURCE_KEY } };

/** Records every handler call by kind. */
export interface Recorder {
  readonly calls: { kind: string; event: TokenEvent }[];
  count(kind?: string): number;
  last(kind?: string): TokenEvent;
}

export function recordHandlers(webhooks: TokenWebhooks<TokenEvent>): Recorder {
  const calls: { kind: string; event: TokenEvent }[] = [];
  const record = (kind: string) => (event: TokenEvent) => { calls.push({ kind, event }); };
  webhooks.onActive(record('active')).onSuspended(record('suspended')).onDeleted(record('deleted'))
    .onUpdated(record('updated')).onEvent(record('event'));
  const of = (kind?: string) => calls.filter((c) => kind === undefined || c.kind === kind);
  return {
    calls,
    count: (kind) => of(kind).length,
    last: (kind) => {
      const found = of(kind).at(-1);
      if (!found) throw new Error(`no ${kind ?? ''} call`);
      return found.event;
    },
  };
}

/** The webhooks type `createTokenWebhooks` answers for these options: with inbox-only methods in inbox mode. */
export type WebhooksFor<O> = O extends { readonly mode: 'inbox' } ? InboxTokenWebhooks<TokenEvent> : TokenWebhooks<TokenEvent>;

export interface TestReceiver<W extends TokenWebhooks<TokenEvent> = TokenWebhooks<TokenEvent>> {
  readonly app: Express;
  readonly webhooks: W;
  readonly recorder: Recorder;
}

/** An Express 5 app with the four providers mounted under /webhooks/<provider>, authenticated as the tests sign. */
export function testReceiver<O extends TokenWebhooksOptions = TokenWebhooksOptions>(
  options: O = {} as O, configure?: (app: Express) => void,
): TestReceiver<WebhooksFor<O>> {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, ...options }) as WebhooksFor<O>;
  const recorder = recordHandlers(webhooks);
  const app = express();
  configure?.(app);
  app.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  app.use('/webhooks/ni', webhooks.ni({ auth: { bearer: BEARER } }));
  app.use('/webhooks/firstoken', webhooks.firstoken({ auth: { bearer: BEARER } }));
  return { app, webhooks, recorder };
}

/** POST `body` (sent byte for byte) to a provider endpoint with valid credentials. */
export function deliver(app: Express, provider: string, body: string, headers: Record<string, string> = {}) {
  const auth = descriptor(provider).credentials(body, TEST_CREDENTIALS);
  return request(app)
    .post(`/webhooks/${provider}`)
    .set({ 'content-type': 'application/json', ...auth, ...headers })
    .send(body);
}
