/**
 * A demo receiver: the four providers under /webhooks/<provider>, handlers that log each event.
 * Run with `npm start`; PORT (default 3000) and STORAGE choose where it listens and stores.
 */
import express from 'express';
import { createHmac } from 'node:crypto';
import { createTokenWebhooks } from '../lib';
import { storageFromEnv } from './storage-from-env';

const port = Number(process.env.PORT ?? 3000);
// Demo secrets: replace with your own. The Cybersource key is base64, as Cybersource issues it.
const CYBERSOURCE_KEY_ID = 'demo-key';
const CYBERSOURCE_KEY = process.env.CYBERSOURCE_KEY ?? Buffer.from('demo-cybersource-shared-secret!!').toString('base64');
const BEARER = process.env.WEBHOOK_BEARER ?? 'demo-bearer-token-change-me';

const { storage, description } = storageFromEnv();
const webhooks = createTokenWebhooks({ storage });

const show = (label: string) => (event: { provider: string; id: string; tokenRef: string; state?: string; stale: boolean }) => {
  console.log(`${label.padEnd(10)} ${event.provider.padEnd(11)} token=${event.tokenRef} state=${event.state ?? '-'} event=${event.id}${event.stale ? ' (stale)' : ''}`);
};
webhooks
  .onActive(show('ACTIVE'))
  .onSuspended(show('SUSPENDED'))
  .onDeleted(show('DELETED'))
  .onUpdated(show('UPDATED'))
  .onEvent((event) => console.log(`event      ${event.provider.padEnd(11)} ${event.type}`))
  .onError((error, context) => console.error(`error      ${context.provider} ${context.eventId ?? ''}: ${(error as Error).message}`));

const app = express();
app.use('/webhooks/cybersource', webhooks.cybersource({ keys: { [CYBERSOURCE_KEY_ID]: CYBERSOURCE_KEY } }));
app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
app.use('/webhooks/ni', webhooks.ni({ auth: { bearer: BEARER } }));
app.use('/webhooks/firstoken', webhooks.firstoken({ auth: { bearer: BEARER } }));
app.get('/tokens/:provider/:tokenRef', async (req, res) => {
  res.json((await webhooks.getTokenState(req.params.provider, req.params.tokenRef)) ?? { state: null });
});

const sample = JSON.stringify({
  id: 'b876d568-8411-4638-bdef-a1a188a4773b', type: 'TD', timestamp: new Date().toISOString(),
  details: { card: { id: { type: 'externalCardId', value: 'demo-card-1' } }, token: { requestorId: '50110030273', tokenEventIndicator: '6' } },
});
const t = Date.now();
const cybersourceBody = '{"eventType":"tms.networktoken.provisioned","eventDate":"2025-07-03T09:58:09","payload":{"data":{"reason":"PROVISIONED","id":"DEMO0001","_links":{"tokenized-cards":[{"id":"DEMO-TOKEN","state":"ACTIVE"}]}}}}';
const sig = createHmac('sha256', Buffer.from(CYBERSOURCE_KEY, 'base64')).update(`${t}.${cybersourceBody}`).digest('base64');

const server = app.listen(port, '127.0.0.1', () => {
  console.log(`network-token-webhooks demo on http://127.0.0.1:${port} with ${description}`);
  console.log('\nSend it a Network International "suspend" notification:');
  console.log(`  curl -s -X POST http://127.0.0.1:${port}/webhooks/ni -H 'content-type: application/json' -H 'authorization: Bearer ${BEARER}' -d '${sample}'`);
  console.log('\nA signed Cybersource "provisioned" notification (signature valid for 5 minutes):');
  console.log(`  curl -s -X POST http://127.0.0.1:${port}/webhooks/cybersource -H 'content-type: application/json' -H 'v-c-signature: t=${t};keyId=${CYBERSOURCE_KEY_ID};sig=${sig}' -d '${cybersourceBody}'`);
  console.log(`\nThen ask for the token's state:  curl -s http://127.0.0.1:${port}/tokens/cybersource/DEMO-TOKEN\n`);
});

const shutdown = () => {
  server.close();
  void webhooks.close().then(() => process.exit(0));
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
