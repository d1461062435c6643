import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { MemoryStore } from 'express-rate-limit';
import { niTokenEndpoint } from '../../lib';
import type { ThrottleOptions } from '../../lib';

const CLIENT = { clientId: 'ni', clientSecret: 'the-right-client-secret-0123' };

function tokenApp(throttle?: ThrottleOptions | false) {
  const app = express();
  app.set('trust proxy', 'loopback'); // the tests vary the source address with X-Forwarded-For
  app.post('/token', niTokenEndpoint({ ...CLIENT, ...(throttle === undefined ? {} : { throttle }) }));
  return app;
}

const ask = (app: express.Express, secret: string, options: { from?: string; clientId?: string } = {}) => request(app).post('/token')
  .set('x-forwarded-for', options.from ?? '203.0.113.7').type('form')
  .send({ grant_type: 'client_credentials', client_id: options.clientId ?? CLIENT.clientId, client_secret: secret });

describe('security: the NI token endpoint throttles credential guessing', () => {
  it('after 10 wrong secrets for a client id, answers 429 with Retry-After in OAuth\'s error format, the right secret too', async () => {
    const app = tokenApp();
    for (let i = 0; i < 10; i++) expect((await ask(app, `guess-${i}-0123456789`)).status).to.equal(401);
    const blocked = await ask(app, 'guess-10-0123456789');
    expect(blocked.status).to.equal(429);
    expect(blocked.body).to.deep.include({ error: 'temporarily_unavailable' });
    expect(Number(blocked.headers['retry-after'])).to.be.within(1, 900);
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(429, 'the client id stays blocked, from any address');
  });

  it('limits failures per source address across client ids, and never blocks other addresses', async () => {
    const app = tokenApp({ perAddress: 5, perClient: 100 });
    for (let i = 0; i < 5; i++) expect((await ask(app, 'wrong-secret-0123456789', { clientId: `c${i}` })).status).to.equal(401);
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(429);
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(200);
  });

  it('2,000 guesses in a burst get no further than the limit; a success resets the client\'s count', async () => {
    const app = tokenApp({ perClient: 3, perAddress: 10_000 });
    expect((await ask(app, 'wrong-secret-0123456789')).status).to.equal(401);
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(200);
    const statuses: number[] = [];
    for (let batch = 0; batch < 40; batch++) { // 40 waves of 50 concurrent guesses from 2,000 addresses
      statuses.push(...await Promise.all(Array.from({ length: 50 }, (_, j) => {
        const i = batch * 50 + j;
        return ask(app, `burst-${i}-0123456789`, { from: `10.0.${i >> 8}.${i & 255}` }).then((r) => r.status);
      })));
    }
    // Guesses of one wave are checked together, so the first wave may exceed the limit; every later one is refused.
    expect(statuses.slice(50).filter((s) => s !== 429)).to.deep.equal([]);
    expect(statuses.filter((s) => s === 429).length).to.be.above(1900);
  });

  it('shares counts across instances through one express-rate-limit store; throttle: false turns it off', async () => {
    const store = new MemoryStore();
    const [a, b] = [tokenApp({ store, perClient: 2 }), tokenApp({ store, perClient: 2 })];
    expect((await ask(a, 'wrong-secret-0123456789')).status).to.equal(401);
    expect((await ask(b, 'wrong-secret-0123456789')).status).to.equal(401);
    expect((await ask(a, CLIENT.clientSecret)).status).to.equal(429);
    const open = tokenApp(false);
    for (let i = 0; i < 30; i++) expect((await ask(open, 'wrong-secret-0123456789')).status).to.equal(401);
    expect((await ask(open, CLIENT.clientSecret)).status).to.equal(200);
  });
});
