import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { TokenEvent } from '../../lib';
import { buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';
import { CYBERSOURCE_KEYS } from '../helpers/cybersource';

describe('the ntw-outcome header: every answer names its outcome, whatever the provider\'s format', () => {
  const auth = { authorization: `Bearer ${BEARER}`, 'content-type': 'application/json' };

  function app() {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    webhooks.onEvent((event) => { if (event.tokenRef.startsWith('fails')) throw new Error('the handler fails'); });
    const server = express();
    server.use('/webhooks/ni', webhooks.ni({ auth: { bearer: BEARER } }));
    server.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER }, quarantine: true }));
    server.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
    return server;
  }

  for (const provider of ['ni', 'tokenex'] as const) {
    it(`${provider}: accepted, duplicate, refused, retry_later (with Retry-After)`, async () => {
      const server = app();
      const body = JSON.stringify(buildPayload(provider, 'suspended'));
      const first = await request(server).post(`/webhooks/${provider}`).set(auth).send(body);
      const retry = await request(server).post(`/webhooks/${provider}`).set(auth).send(body);
      const unsigned = await request(server).post(`/webhooks/${provider}`).set('content-type', 'application/json').send(body);
      const failing = await request(server).post(`/webhooks/${provider}`).set(auth).send(JSON.stringify(buildPayload(provider, 'suspended', { tokenRef: 'fails' })));
      expect([first, retry, unsigned, failing].map((res) => [res.status, res.headers['ntw-outcome'], res.headers['retry-after']])).to.deep.equal([
        [200, 'accepted', undefined], [200, 'duplicate', undefined], [401, 'refused', undefined], [500, 'retry_later', '5'],
      ]);
    });
  }

  it('quarantined, and a health check', async () => {
    const server = app();
    const unreadable = JSON.stringify({ ...buildPayload('tokenex', 'active'), networkTokenStateChangeNotification: { messageId: 'm-1' } });
    const kept = await request(server).post('/webhooks/tokenex').set(auth).send(unreadable);
    expect([kept.status, kept.headers['ntw-outcome']]).to.deep.equal([200, 'quarantined']);
    const health = await request(server).get('/webhooks/cybersource');
    expect([health.status, health.headers['ntw-outcome']]).to.deep.equal([200, 'health_check']);
  });
});
