import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { MemoryStore } from 'express-rate-limit';
import { niTokenEndpoint } from '../../lib';
import type { ThrottleOptions } from '../../lib';
import { throttleOf } from '../../lib/auth/oauth-token-endpoint';
import { fixture } from '../helpers/fixtures';
import { serveLoopback } from '../helpers/loopback';
import type { LoopbackServer } from '../helpers/loopback';
import { NI_CLIENTS, securityReceiver } from './support';

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
  it('after 10 wrong secrets from one address, answers it 429 with Retry-After in OAuth\'s error format, the right secret too; another address gets its token', async () => {
    const app = tokenApp();
    for (let i = 0; i < 10; i++) expect((await ask(app, `guess-${i}-0123456789`)).status).to.equal(401);
    const blocked = await ask(app, 'guess-10-0123456789');
    expect(blocked.status).to.equal(429);
    expect(blocked.body).to.deep.include({ error: 'temporarily_unavailable' });
    expect(Number(blocked.headers['retry-after'])).to.be.within(1, 900);
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(429, 'the guessing address stays refused, even with the right secret');
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(200, 'the client id is not locked out elsewhere');
  });

  it('answers a client id nobody configured exactly as NI\'s (the answers do not tell which ids exist)', async () => {
    const app = tokenApp();
    const statuses = async (clientId: string, from: string) => {
      const seen: number[] = [];
      for (let i = 0; i < 12; i++) seen.push((await ask(app, `guess-${i}-0123456789`, { clientId, from })).status);
      return seen;
    };
    expect(await statuses('nobody', '198.51.100.1')).to.deep.equal(await statuses(CLIENT.clientId, '198.51.100.2'));
  });

  it('limits failures per source address across client ids, and never blocks other addresses', async () => {
    const app = tokenApp({ perAddress: 5, perClient: 100 });
    for (let i = 0; i < 5; i++) expect((await ask(app, 'wrong-secret-0123456789', { clientId: `c${i}` })).status).to.equal(401);
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(429);
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(200);
  });

  it('counts an IPv6 /64 as one address (no fresh limit per address of a network), another /64 apart', async () => {
    const app = tokenApp({ perClient: 2 });
    expect((await ask(app, 'wrong-secret-0123456789', { from: '2001:db8:1:2::a' })).status).to.equal(401);
    expect((await ask(app, 'wrong-secret-0123456789', { from: '2001:db8:1:2:ffff::b' })).status).to.equal(401);
    expect((await ask(app, 'wrong-secret-0123456789', { from: '2001:db8:1:2::c' })).status).to.equal(429);
    expect((await ask(app, CLIENT.clientSecret, { from: '2001:db8:1:3::a' })).status).to.equal(200);
  });

  it('2,000 guesses from 40 addresses get perClient + one per address at most; an address that has not failed, or succeeded, is still heard', async () => {
    const app = tokenApp({ perClient: 3, perAddress: 10_000 });
    expect((await ask(app, 'wrong-secret-0123456789')).status).to.equal(401);
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(200, 'a success clears the address\'s failure');
    const statuses: number[] = [];
    for (let wave = 0; wave < 50; wave++) { // 50 waves of 40 concurrent guesses, one from each of 40 addresses
      statuses.push(...await Promise.all(Array.from({ length: 40 }, (_, i) =>
        ask(app, `burst-${wave}-${i}-0123456789`, { from: `10.0.0.${i}` }).then((r) => r.status))));
    }
    // The guesses of one wave are checked together, so the first wave gets through whole: 40 of at most 3 + 40.
    expect(statuses.slice(0, 40)).to.deep.equal(Array<number>(40).fill(401));
    expect(statuses.slice(40).filter((s) => s !== 429)).to.deep.equal([]);
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(200, 'an address that has not failed');
    expect((await ask(app, 'an-old-secret-0123456789')).status).to.equal(401, 'the address that succeeded: a mistake of its own is heard');
    expect((await ask(app, CLIENT.clientSecret)).status).to.equal(200);
  });

  it('keeps fixed-size keys, at most maxKeys of them, whatever client ids and addresses are sent', async () => {
    const app = express();
    app.set('trust proxy', 'loopback');
    const endpoint = niTokenEndpoint({ ...CLIENT, throttle: { maxKeys: 200 } });
    app.post('/token', endpoint);
    const throttle = throttleOf(endpoint)!;
    for (let wave = 0; wave < 25; wave++) { // 1,000 failures, each with a new 2,048-character client id from a new address
      const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        ask(app, 'wrong-secret-0123456789', { clientId: randomBytes(1024).toString('hex'), from: `10.1.${wave}.${i}` }).then((r) => r.status)));
      expect(statuses).to.deep.equal(Array<number>(40).fill(401));
      expect(throttle.keptKeys).to.be.at.most(200);
    }
    expect(throttle.keptKeys).to.be.at.least(150, 'both halves filled');
    expect((await ask(app, CLIENT.clientSecret, { from: '198.51.100.9' })).status).to.equal(200);
  });

  it('hands the store hashed keys only, never a client id or an address', async () => {
    const store = new MemoryStore();
    const app = tokenApp({ store });
    const id = `someone-${'x'.repeat(500)}`;
    expect((await ask(app, 'wrong-secret-0123456789', { clientId: id, from: '198.51.100.77' })).status).to.equal(401);
    expect((await ask(app, 'wrong-secret-0123456789', { from: '198.51.100.77' })).status).to.equal(401);
    const keys = [...store.current.keys(), ...store.previous.keys()];
    expect(keys).to.have.length(5); // the address; the unknown id here and everywhere; NI's id here and everywhere
    for (const key of keys) {
      expect(key).to.match(/^[a-z]+:[\w-]{22}$/);
      expect(key).to.not.include('198.51.100.77').and.not.include(CLIENT.clientId);
    }
    store.shutdown();
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
    store.shutdown();
  });

  it('refuses maxKeys with a store of the host\'s, and limits below 1', () => {
    const make = (throttle: ThrottleOptions) => () => niTokenEndpoint({ ...CLIENT, throttle });
    expect(make({ store: new MemoryStore(), maxKeys: 1000 })).to.throw(/maxKeys.*ERR_NTW_OAUTH/);
    expect(make({ maxKeys: 1 })).to.throw(/ERR_NTW_OAUTH/);
    expect(make({ perClient: 0 })).to.throw(/ERR_NTW_OAUTH/);
  });
});

describe('security: guesses from one address never lock NI out at another (real source addresses)', () => {
  const NI = NI_CLIENTS[1];
  const ATTACKER = '127.0.0.2';
  const SENDER = '127.0.0.1';
  let server: LoopbackServer | undefined;
  afterEach(async () => { await server?.close(); server = undefined; });

  const form = (secret: string) => new URLSearchParams({ grant_type: 'client_credentials', client_id: NI.clientId, client_secret: secret }).toString();
  const askToken = (from: string, secret: string) => server!.send(from, 'POST', '/oauth/ni/token', {
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form(secret),
  });

  it('12 wrong secrets for NI\'s client id from 127.0.0.2: NI\'s right secret from 127.0.0.1 gets a token, and its delivery is accepted', async () => {
    const r = securityReceiver();
    server = await serveLoopback(r.app);
    const guesses: number[] = [];
    for (let i = 0; i < 12; i++) guesses.push((await askToken(ATTACKER, `wrong-secret-${i}-0123456789`)).status);
    expect(guesses).to.deep.equal([...Array<number>(10).fill(401), 429, 429], 'the guessing address is held to 10 failures');
    const issued = await askToken(SENDER, NI.clientSecret);
    expect(issued.status, issued.text).to.equal(200);
    const token = (JSON.parse(issued.text) as { access_token: string }).access_token;
    const delivered = await server.send(SENDER, 'POST', '/webhooks/ni', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: fixture('ni', 'sample-request-for-td').text,
    });
    expect(delivered.status, delivered.text).to.equal(200);
    expect(r.recorder.count('deleted')).to.equal(1);
    expect((await askToken(ATTACKER, NI.clientSecret)).status).to.equal(429, 'the guessing address stays refused, even with the right secret');
  });

  it('an address that signed in is not throttled for a mistake of its own while another address guesses', async () => {
    const r = securityReceiver();
    server = await serveLoopback(r.app);
    expect((await askToken(SENDER, NI.clientSecret)).status).to.equal(200);
    for (let i = 0; i < 12; i++) await askToken(ATTACKER, `wrong-secret-${i}-0123456789`);
    expect((await askToken(SENDER, 'an-old-secret-0123456789')).status).to.equal(401, 'its own mistake is an ordinary 401');
    expect((await askToken(SENDER, NI.clientSecret)).status).to.equal(200);
  });
});
