/**
 * Row "@octokit/webhooks": GitHub's webhook library in an Express app, verifying `X-Hub-Signature-256` over the
 * same payload bytes and running a no-op handler. (The package is ESM only: imported dynamically.)
 */
import { createServer } from 'node:http';
import express from 'express';
import { PATH, SECRETS } from '../config';
import { serve } from './serve';

async function main(): Promise<void> {
  const { Webhooks, createNodeMiddleware } = await import('@octokit/webhooks');
  const webhooks = new Webhooks({ secret: SECRETS.octokitSecret });
  let handled = 0;
  webhooks.onAny(() => { handled++; });
  const app = express();
  app.use(createNodeMiddleware(webhooks, { path: PATH }));
  serve(createServer(app), { handled: () => handled });
}

void main();
