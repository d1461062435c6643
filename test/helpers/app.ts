import express from 'express';
import type { Express } from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { InboxTokenWebhooks, TokenEvent, TokenWebhooks, TokenWebhooksOptions } from '../../lib';
import { optionsFor } from '../../lib/testing/credentials';
import { CYBERSOURCE_KEY, CYBERSOURCE_KEY_ID } from './cybersource';
import { DESCRIPTORS, descriptor } from '../providers/descriptors';
import type { Credentials } from '../providers/descriptor';

export const BEARER = 'test-bearer-secret-0123456789';

/** The credentials `testReceiver` configures: a shared bearer, and each provider's own secret (its descriptor's). */
export const TEST_CREDENTIALS = {
  ...Object.fromEntries(DESCRIPTORS.flatMap((d) => (d.secret === undefined ? [] : [[d.name, d.secret]]))),
  bearer: BEARER,
  cybersource: { keyId: CYBERSOURCE_KEY_ID, key: CYBERSOURCE_KEY },
} as Credentials & { readonly bearer: string; readonly cybersource: { readonly keyId: string; readonly key: string } };

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

/** An Express 5 app with every built-in provider mounted under /webhooks/<provider>, authenticated as the tests sign. */
export function testReceiver<O extends TokenWebhooksOptions = TokenWebhooksOptions>(
  options: O = {} as O, configure?: (app: Express) => void,
): TestReceiver<WebhooksFor<O>> {
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, ...options }) as WebhooksFor<O>;
  const recorder = recordHandlers(webhooks);
  const app = express();
  configure?.(app);
  for (const { name, testMount } of DESCRIPTORS) {
    if (testMount) app.use(`/webhooks/${name}`, testMount.transport);
    app.use(`/webhooks/${name}`, webhooks.endpoint(name, (testMount?.options ?? optionsFor(name, TEST_CREDENTIALS)) as never));
  }
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
