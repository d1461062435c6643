import express from 'express';
import type { TokenWebhooks } from '../../lib';
import { BEARER } from '../helpers/app';
import { post } from './support';

/** The surviving instance's endpoint: `app(body)` delivers `body` to it and answers the status. */
export function mount(webhooks: TokenWebhooks): { app: (body: string) => Promise<number> } {
  const server = express();
  server.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  return { app: async (body) => (await post(server, 'tokenex', body)).status };
}
