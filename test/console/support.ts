import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express } from 'express';
import request from 'supertest';
import { MemoryStorage, createTokenWebhooks } from '../../lib';
import type { ConsoleOptions, Storage, TokenEvent, TokenWebhooks, TokenWebhooksOptions } from '../../lib';
import { buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';
import { edited } from '../helpers/fixtures';

export const OPS = { username: 'ops', password: 'correct horse battery staple' };
export const MOUNT = '/ops/token-webhooks';

/** An authentic TokenEx delivery the shipped schema cannot read (quarantined). */
export const UNREADABLE = edited('tokenex', 'request', (p) => {
  p.networkTokenStateChangeNotification.currentTokenState = 'SOMETHING_NEW';
});

export interface ConsoleApp {
  readonly app: Express;
  readonly webhooks: TokenWebhooks<TokenEvent>;
  readonly storage: Storage;
  /** Handlers throw while this is true. */
  failing: boolean;
  post(body: string): Promise<request.Response>;
  /** A TokenEx notification about `tokenRef`, delivered; answers its event id. */
  send(kind: 'active' | 'suspended' | 'deleted', tokenRef: string, overrides?: { id?: string; occurredAt?: Date }): Promise<string>;
}

/** A receiver with TokenEx mounted (quarantine on) and the console at `MOUNT`. */
export function consoleApp(options: TokenWebhooksOptions = {}, consoleOptions: ConsoleOptions = { credentials: OPS }): ConsoleApp {
  const storage = options.storage ?? new MemoryStorage();
  const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, ...options, storage });
  const app = express();
  const state: ConsoleApp = {
    app, webhooks, storage, failing: false,
    post: (body) => request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body),
    async send(kind, tokenRef, overrides = {}) {
      const id = overrides.id ?? randomUUID();
      const answer = await state.post(JSON.stringify(buildPayload('tokenex', kind, { ...overrides, tokenRef, id })));
      if (answer.status >= 400 && !state.failing) throw new Error(`delivery answered ${answer.status}: ${answer.text}`);
      return id;
    },
  };
  webhooks.onEvent(() => {
    if (state.failing) throw new Error('handler failed: downstream 503');
  });
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER }, quarantine: true }));
  app.use(MOUNT, webhooks.console(consoleOptions));
  return state;
}

/** The anti-forgery token of the first form on a page. */
export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no replay form on the page');
  return match[1]!;
}
