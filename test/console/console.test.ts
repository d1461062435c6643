import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { ConfigurationError, MemoryStorage, createTokenWebhooks } from '../../lib';
import type { ConsoleOptions, Storage } from '../../lib';
import { CONTENT_SECURITY_POLICY } from '../../lib/console/console';
import { MOUNT, OPS, UNREADABLE, consoleApp, csrfOf } from './support';
import { serveLoopback } from '../helpers/loopback';

const get = (app: express.Express, path: string) => request(app).get(`${MOUNT}${path}`).auth(OPS.username, OPS.password);

describe('operations console', () => {
  describe('mounting', () => {
    const make = (options: unknown) => () => createTokenWebhooks({ pruneIntervalMs: false }).console(options as ConsoleOptions);
    const code = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigurationError);
        return (error as ConfigurationError).code;
      }
      throw new Error('did not throw');
    };

    it('refuses to mount without authorize or credentials (ERR_NTW_CONSOLE_AUTH)', () => {
      expect(code(make(undefined))).to.equal('ERR_NTW_CONSOLE_AUTH');
      expect(code(make({}))).to.equal('ERR_NTW_CONSOLE_AUTH');
      expect(code(make({ windowMinutes: 30 }))).to.equal('ERR_NTW_CONSOLE_AUTH');
      expect(code(make({ authorize: true }))).to.equal('ERR_NTW_CONSOLE_AUTH');
    });

    it('refuses weak or malformed credentials, a short secret and misspelled options', () => {
      expect(code(make({ credentials: { username: 'ops', password: 'short' } }))).to.equal('ERR_NTW_CONSOLE_AUTH');
      expect(code(make({ credentials: { username: 'a:b', password: 'long enough password' } }))).to.equal('ERR_NTW_CONSOLE_AUTH');
      expect(code(make({ authorize: () => true, secret: 'too short' }))).to.equal('ERR_NTW_OPTION');
      expect(code(make({ authorize: () => true, pageSize: 0 }))).to.equal('ERR_NTW_OPTION');
      expect(code(make({ authorise: () => true }))).to.equal('ERR_NTW_UNKNOWN_OPTION');
      expect(code(make({ credentials: OPS, throttle: { perClient: 0 } }))).to.equal('ERR_NTW_OPTION');
      expect(code(make({ credentials: OPS, throttle: { maxKeys: 1 } }))).to.equal('ERR_NTW_OPTION');
    });
  });

  describe('access', () => {
    it('asks for basic credentials and refuses wrong ones (401), then lets the right ones in', async () => {
      const { app, webhooks } = consoleApp();
      try {
        const none = await request(app).get(`${MOUNT}/`);
        expect(none.status).to.equal(401);
        expect(none.headers['www-authenticate']).to.match(/^Basic realm=/);
        expect(none.text).to.not.include('token webhooks</strong>');
        expect((await request(app).get(`${MOUNT}/`).auth(OPS.username, 'wrong password!!')).status).to.equal(401);
        expect((await request(app).get(`${MOUNT}/console.css`)).status).to.equal(401, 'the stylesheet too');
        expect((await get(app, '/')).status).to.equal(200);
      } finally {
        await webhooks.close();
      }
    });

    it('throttles repeated failed sign-ins (429 with Retry-After)', async () => {
      const { app, webhooks } = consoleApp({}, { credentials: OPS, throttle: { perClient: 2 } });
      try {
        for (let i = 0; i < 2; i++) expect((await request(app).get(`${MOUNT}/`).auth(OPS.username, 'guess number ' + i)).status).to.equal(401);
        const blocked = await get(app, '/');
        expect(blocked.status).to.equal(429);
        expect(Number(blocked.headers['retry-after'])).to.be.greaterThan(0);
      } finally {
        await webhooks.close();
      }
    });

    it('wrong passwords from 127.0.0.2 do not lock the operator out at 127.0.0.1 (real source addresses)', async () => {
      const { app, webhooks } = consoleApp();
      const server = await serveLoopback(app);
      const signIn = (from: string, password: string) => server.send(from, 'GET', `${MOUNT}/`, {
        headers: { authorization: `Basic ${Buffer.from(`${OPS.username}:${password}`).toString('base64')}` },
      });
      try {
        const guesses: number[] = [];
        for (let i = 0; i < 12; i++) guesses.push((await signIn('127.0.0.2', `guess number ${i}`)).status);
        expect(guesses).to.deep.equal([...Array<number>(10).fill(401), 429, 429], 'the guessing address is held to 10 failures');
        const operator = await signIn('127.0.0.1', OPS.password);
        expect(operator.status).to.equal(200);
        expect(operator.text).to.include('token webhooks</strong>');
        expect((await signIn('127.0.0.1', 'a typo in it!!')).status).to.equal(401, 'after signing in, a typo of its own is an ordinary 401');
        expect((await signIn('127.0.0.1', OPS.password)).status).to.equal(200);
        expect((await signIn('127.0.0.2', OPS.password)).status).to.equal(429, 'the guessing address stays refused, even with the right password');
      } finally {
        await server.close();
        await webhooks.close();
      }
    });

    it('asks authorize(req) on every request: false or a throw is 403', async () => {
      let allow: boolean | 'throw' = false;
      const { app, webhooks } = consoleApp({}, {
        authorize: (req) => {
          if (allow === 'throw') throw new Error('session store down');
          return allow && req.headers['x-operator'] === 'alice';
        },
      });
      try {
        expect((await request(app).get(`${MOUNT}/`).set('x-operator', 'alice')).status).to.equal(403);
        allow = true;
        expect((await request(app).get(`${MOUNT}/`).set('x-operator', 'mallory')).status).to.equal(403);
        expect((await request(app).get(`${MOUNT}/inbox`).set('x-operator', 'alice')).status).to.equal(200);
        allow = 'throw';
        expect((await request(app).get(`${MOUNT}/`).set('x-operator', 'alice')).status).to.equal(403);
      } finally {
        await webhooks.close();
      }
    });
  });

  describe('pages', () => {
    it('serve a strict Content-Security-Policy and no script on every page', async () => {
      const { app, webhooks } = consoleApp();
      try {
        for (const path of ['/', '/tokens', '/tokens?provider=tokenex&tokenRef=x', '/inbox', '/event?provider=tokenex&id=none', '/nope']) {
          const res = await get(app, path);
          expect(res.headers['content-security-policy'], path).to.equal(CONTENT_SECURITY_POLICY);
          expect(res.headers['x-content-type-options']).to.equal('nosniff');
          expect(res.headers['x-frame-options']).to.equal('DENY');
          expect(res.headers['cache-control']).to.equal('no-store');
          expect(res.text).to.not.match(/<script|\sstyle=|\son[a-z]+=/i);
        }
        expect(CONTENT_SECURITY_POLICY).to.include("default-src 'none'").and.not.include('unsafe');
        const css = await get(app, '/console.css');
        expect(css.status).to.equal(200);
        expect(css.headers['content-type']).to.match(/^text\/css/);
        expect((await get(app, '/nope')).status).to.equal(404);
        expect((await get(app, '/event?provider=tokenex&id=none')).status).to.equal(404);
        expect((await request(app).post(`${MOUNT}/`).auth(OPS.username, OPS.password)).status).to.equal(405);
      } finally {
        await webhooks.close();
      }
    });

    it('overview: counts by provider and status, the per-minute chart, tokens by state, the newest deliveries', async () => {
      const c = consoleApp();
      try {
        const active = await c.send('active', 'TOK-A');
        await c.send('suspended', 'TOK-B');
        await c.send('deleted', 'TOK-C');
        c.failing = true;
        await c.send('active', 'TOK-D');
        c.failing = false;
        const page = await get(c.app, '/');
        expect(page.status).to.equal(200);
        expect(page.text).to.include('aria-label="4 deliveries received in the last 60 minutes');
        expect(page.text).to.match(/<rect class="fill-done"[^>]*><title>\d\d:\d\d UTC: 3 done<\/title>/);
        expect(page.text).to.match(/<rect class="fill-failed"[^>]*><title>\d\d:\d\d UTC: 1 failed<\/title>/);
        expect(page.text).to.match(/aria-label="Deliveries by provider and status">.*<td>tokenex<\/td><td class="num">3<\/td><td class="num">1<\/td><td class="num">4<\/td>/s);
        expect(page.text).to.match(/aria-label="Tokens by provider and state">.*<th class="num">ACTIVE<\/th><th class="num">SUSPENDED<\/th><th class="num">DELETED<\/th>.*<td>tokenex<\/td><td class="num">2<\/td><td class="num">1<\/td><td class="num">1<\/td>/s,
          'a failing run applies its state too');
        expect(page.text).to.match(/Failing, to retry<\/a><b>1<\/b>/);
        expect(page.text).to.include(`/event?provider=tokenex&amp;id=${active}`);
        expect(page.text.indexOf('TOK-D')).to.be.lessThan(page.text.indexOf('TOK-A'), 'newest first');
      } finally {
        await c.webhooks.close();
      }
    });

    it('overview on a storage without stats(): the newest deliveries and a notice', async () => {
      const memory = new MemoryStorage();
      const storage: Storage = {
        admit: (r, a) => memory.admit(r, a), lease: (o, l, k) => memory.lease(o, l, k), extend: (k, o, l) => memory.extend(k, o, l),
        settle: (k, o, s) => memory.settle(k, o, s), requeue: (i, p) => memory.requeue(i, p), getEntry: (k) => memory.getEntry(k),
        listEntries: (q) => memory.listEntries(q), getTokenState: (p, t) => memory.getTokenState(p, t), prune: (o) => memory.prune(o),
      };
      const c = consoleApp({ storage });
      try {
        await c.send('active', 'TOK-A');
        const page = await get(c.app, '/');
        expect(page.status).to.equal(200);
        expect(page.text).to.include('does not count');
        expect(page.text).to.include('TOK-A');
      } finally {
        await c.webhooks.close();
      }
    });

    it('token timeline: the current state, whether chargeable, every event oldest first, stale ones marked', async () => {
      const c = consoleApp();
      try {
        const t = Date.now() - 60_000;
        const first = await c.send('active', 'TOK-T', { occurredAt: new Date(t) });
        const suspended = await c.send('suspended', 'TOK-T', { occurredAt: new Date(t + 20_000) });
        const late = await c.send('active', 'TOK-T', { occurredAt: new Date(t + 10_000) });
        const page = await get(c.app, '/tokens?provider=tokenex&tokenRef=TOK-T');
        expect(page.status).to.equal(200);
        expect(page.text).to.match(/Current state<\/dt><dd><strong>SUSPENDED<\/strong>/);
        expect(page.text).to.match(/Chargeable<\/dt><dd><strong>no<\/strong>/);
        const events = page.text.slice(page.text.indexOf('Events, oldest first'));
        const order = [first, suspended, late].map((id) => events.indexOf(id));
        expect(order).to.deep.equal([...order].sort((a, b) => a - b)).and.not.include(-1);
        expect(page.text).to.match(new RegExp(`<tr class="stale">.*${late}.*stale: out_of_order`, 's'));
        const unknown = await get(c.app, '/tokens?provider=tokenex&tokenRef=NEVER');
        expect(unknown.text).to.include('No state recorded').and.include('No stored event names this token');
        expect((await get(c.app, '/tokens')).text).to.include('Choose a provider');
      } finally {
        await c.webhooks.close();
      }
    });

    it('inbox: dead letters with their last error, quarantined deliveries and conflicting duplicates', async () => {
      const c = consoleApp({ mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
      try {
        c.failing = true;
        const dead = await c.send('active', 'TOK-DEAD');
        await (c.webhooks as unknown as { processInbox(): Promise<number> }).processInbox();
        c.failing = false;
        const disputed = await c.send('active', 'TOK-X');
        await c.send('suspended', 'TOK-Y', { id: disputed });
        expect((await c.post(UNREADABLE)).status).to.equal(200);
        const page = await get(c.app, '/inbox');
        expect(page.status).to.equal(200);
        expect(page.text).to.match(new RegExp(`<h2>Dead letters</h2>.*${dead}.*handler failed: downstream 503.*<h2>Failing`, 's'));
        expect(page.text).to.match(/<h2>Quarantined<\/h2>.*schema_violation/s);
        expect(page.text).to.match(new RegExp(`<h2>Conflicting duplicates</h2>.*${disputed}`, 's'));
        expect(page.text).to.match(/<h2>Pending<\/h2>.*TOK-X/s);
      } finally {
        await c.webhooks.close();
      }
    });

    it('escapes every stored value: a hostile provider, id, token reference and error', async () => {
      const c = consoleApp();
      try {
        const hostile = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>';
        await c.storage.admit({
          provider: hostile, id: hostile, type: 'token.active', tokenRef: hostile, state: 'ACTIVE', occurredAt: new Date(),
          receivedAt: new Date(), fingerprint: 'f', body: '{}',
        }, { as: 'quarantined', error: hostile });
        await c.send('active', hostile);
        for (const path of ['/', '/inbox', `/tokens?provider=${encodeURIComponent(hostile)}&tokenRef=${encodeURIComponent(hostile)}`,
          `/event?provider=${encodeURIComponent(hostile)}&id=${encodeURIComponent(hostile)}`]) {
          const page = await get(c.app, path);
          expect(page.status, path).to.equal(200);
          expect(page.text, path).to.not.include('<script>').and.not.include('<img').and.not.include('"\'>');
          expect(page.text, path).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
        }
      } finally {
        await c.webhooks.close();
      }
    });

    it('answers 503 naming the storage when it fails, never a stack', async () => {
      const storage = new MemoryStorage();
      storage.listEntries = () => { throw new Error('connection refused'); };
      const c = consoleApp({ storage });
      try {
        const page = await get(c.app, '/inbox');
        expect(page.status).to.equal(503);
        expect(page.text).to.include('The storage did not answer').and.include('connection refused').and.not.include('    at ');
      } finally {
        await c.webhooks.close();
      }
    });
  });

  describe('replay', () => {
    async function failedEvent() {
      const c = consoleApp();
      c.failing = true;
      const id = await c.send('active', 'TOK-R');
      c.failing = false;
      const agent = request.agent(c.app);
      const page = await agent.get(`${MOUNT}/inbox`).auth(OPS.username, OPS.password);
      return { c, id, agent, csrf: csrfOf(page.text) };
    }
    const form = (csrf: string, id: string) => ({ csrf, provider: 'tokenex', id });

    it('runs a failed event again from the form and shows it completed', async () => {
      const { c, id, agent, csrf } = await failedEvent();
      try {
        expect((await c.storage.getEntry({ provider: 'tokenex', id }))?.status).to.equal('failed');
        const res = await agent.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form')
          .set({ 'sec-fetch-site': 'same-origin' }).send(form(csrf, id));
        expect(res.status).to.equal(303);
        expect(res.headers.location).to.match(new RegExp(`^${MOUNT}/event\\?provider=tokenex&id=${id}&flash=[\\w-]{22}$`));
        const page = await agent.get(res.headers.location as string).auth(OPS.username, OPS.password);
        expect(page.text).to.include('Replayed the event. It is now done.');
        expect((await c.storage.getEntry({ provider: 'tokenex', id }))?.status).to.equal('done');
      } finally {
        await c.webhooks.close();
      }
    });

    it('refuses a cross-site POST, a missing or wrong token, a missing cookie and a GET', async () => {
      const { c, id, agent, csrf } = await failedEvent();
      try {
        const post = (headers: Record<string, string>, body: Record<string, string>, by: request.Agent | request.SuperTest<request.Test> = agent) =>
          by.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form').set(headers).send(body);
        const refusals = [
          await post({ 'sec-fetch-site': 'cross-site' }, form(csrf, id)),
          await post({ 'sec-fetch-site': 'same-site' }, form(csrf, id)),
          await post({ origin: 'https://evil.example' }, form(csrf, id)),
          await post({ origin: 'null' }, form(csrf, id)),
          await post({}, form('forged', id)),
          await post({}, { provider: 'tokenex', id }),
          await post({}, form(csrf, id), request(c.app) as unknown as request.Agent),
        ];
        for (const res of refusals) {
          expect(res.status).to.equal(403);
          expect(res.text).to.include('Replay refused');
        }
        expect((await agent.get(`${MOUNT}/replay`).auth(OPS.username, OPS.password)).status).to.equal(405);
        expect((await c.storage.getEntry({ provider: 'tokenex', id }))?.status).to.equal('failed', 'nothing was replayed');
      } finally {
        await c.webhooks.close();
      }
    });

    it('reads the form itself on Express 4 behind express.json(), which leaves an empty body', async () => {
      const c = consoleApp();
      c.failing = true;
      const id = await c.send('active', 'TOK-4');
      c.failing = false;
      const app = express4().use(express4.json()).use(MOUNT, c.webhooks.console({ credentials: OPS }));
      const agent = request.agent(app);
      try {
        const csrf = csrfOf((await agent.get(`${MOUNT}/inbox`).auth(OPS.username, OPS.password)).text);
        const res = await agent.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form').send(form(csrf, id));
        expect(res.status, res.text).to.equal(303);
        expect((await c.storage.getEntry({ provider: 'tokenex', id }))?.status).to.equal('done');
      } finally {
        await c.webhooks.close();
      }
    });

    it('takes the form from a body parser the host mounted first', async () => {
      const c = consoleApp();
      c.failing = true;
      const id = await c.send('active', 'TOK-P');
      c.failing = false;
      const app = express().use(express.urlencoded({ extended: false })).use(c.app);
      const agent = request.agent(app);
      try {
        const csrf = csrfOf((await agent.get(`${MOUNT}/inbox`).auth(OPS.username, OPS.password)).text);
        const res = await agent.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form').send(form(csrf, id));
        expect(res.status).to.equal(303);
        expect((await c.storage.getEntry({ provider: 'tokenex', id }))?.status).to.equal('done');
      } finally {
        await c.webhooks.close();
      }
    });
  });
});
