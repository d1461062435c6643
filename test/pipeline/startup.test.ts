import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { rateLimit } from 'express-rate-limit';
import type { IncomingMessage } from 'node:http';
import request from 'supertest';
import { ConfigurationError, MemoryStorage, StorageError, createTokenWebhooks, niTokenEndpoint } from '../../lib';
import type { Storage, TokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { authHeaders, buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';
import { CYBERSOURCE_KEYS, cybersourceSignature } from '../helpers/cybersource';
import { fixture } from '../helpers/fixtures';
import { findMounts } from '../../lib/transport/node/mount-check';
import { probeMounts } from '../../lib/transport/node/mount-probe';
import { captureDebug } from '../helpers/debug-capture';

/** The `ConfigurationError` code `fn` throws (synchronously or not). */
async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigurationError);
    return (error as ConfigurationError).code;
  }
  throw new Error('expected a ConfigurationError');
}

/** The `ConfigurationError` `fn` rejects with. */
async function errorOf(fn: () => Promise<unknown>): Promise<ConfigurationError> {
  const error = await fn().then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(ConfigurationError);
  return error as ConfigurationError;
}

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

const cybersourceBody = fixture('cybersource', 'network-token-suspended').text;
const tokenexBody = () => JSON.stringify(buildPayload('tokenex', 'suspended'));
const tokenexPost = (app: express.Express, path = '/webhooks/tokenex', body = tokenexBody()) =>
  request(app).post(path).set({ 'content-type': 'application/json', ...authHeaders('tokenex', body, { bearer: BEARER }) }).send(body);

describe('start-up: every option and mount mistake of a first hour, with a code', () => {
  const opened: TokenWebhooks[] = [];
  const open = (options: Parameters<typeof createTokenWebhooks>[0] = {}) => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false, ...options });
    opened.push(webhooks);
    return webhooks;
  };
  afterEach(async () => { for (const w of opened.splice(0)) await w.close(); });

  describe('option names', () => {
    it('a misspelled option of createTokenWebhooks() fails, naming the option it meant', () => {
      const storage = new MemoryStorage();
      const message = messageOf(() => createTokenWebhooks({ storag: storage } as never));
      expect(message).to.include('unknown option "storag"').and.include('did you mean "storage"').and.include('ERR_NTW_UNKNOWN_OPTION');
      expect(messageOf(() => createTokenWebhooks({ inbox: { maxAttempt: 3 } } as never))).to.include('did you mean "inbox.maxAttempts"');
      expect(messageOf(() => createTokenWebhooks({ lease: 1000 } as never))).to.include('did you mean "leaseMs"');
      expect(messageOf(() => createTokenWebhooks({ wholly: 'unrelated' } as never))).to.include('known options: storage, mode');
    });

    it('a misspelled provider option fails at mount, nested auth and mapping names included', async () => {
      const webhooks = open();
      const unknown = (fn: () => unknown) => codeOf(fn);
      expect(await unknown(() => webhooks.cybersource({ keys: CYBERSOURCE_KEYS, tolerance: 300 } as never))).to.equal('ERR_NTW_UNKNOWN_OPTION');
      expect(messageOf(() => webhooks.cybersource({ keys: CYBERSOURCE_KEYS, tolerance: 300 } as never))).to.include('did you mean "toleranceMs"');
      expect(messageOf(() => webhooks.cybersource({ key: CYBERSOURCE_KEYS } as never))).to.include('did you mean "keys"');
      expect(messageOf(() => webhooks.tokenex({ auth: { bearr: BEARER } } as never))).to.include('did you mean "auth.bearer"');
      expect(messageOf(() => webhooks.firstoken({ auth: { signingKey: 'k'.repeat(32) } } as never))).to.include('did you mean "auth.signingKeys"');
      expect(messageOf(() => webhooks.firstoken({ auth: 'none', mapping: { tokenref: () => 'x' } } as never))).to.include('did you mean "mapping.tokenRef"');
      expect(messageOf(() => webhooks.ni({ auth: { bearer: BEARER }, timestampoffset: 'Z' } as never))).to.include('did you mean "timestampOffset"');
      expect(messageOf(() => webhooks.tokenex({ auth: { bearer: BEARER }, bodyTimeout: 5 } as never))).to.include('did you mean "bodyTimeoutMs"');
      expect(messageOf(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 's'.repeat(20), ttlSeconds: 60 } as never))).to.include('did you mean "ttl"');
      expect(messageOf(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 's'.repeat(20), throttle: { perclient: 3 } } as never))).to.include('did you mean "throttle.perClient"');
      expect(messageOf(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 's'.repeat(20), ttl: 3_600_000 }))).to.include('ttl must be an integer between 1 and 86400');
      // every documented option is still taken
      expect(webhooks.tokenex({ auth: { bearer: BEARER, allowIps: ['127.0.0.1'] }, limit: 1000, bodyTimeoutMs: 100, quarantine: true })).to.be.a('function');
      expect(webhooks.cybersource({ keys: CYBERSOURCE_KEYS, toleranceMs: 1000, futureToleranceMs: 10, now: Date.now })).to.be.a('function');
    });
  });

  describe('values', () => {
    it('a handler that is not a function', async () => {
      const webhooks = open();
      expect(await codeOf(() => webhooks.onActive(undefined as never))).to.equal('ERR_NTW_HANDLER');
      expect(await codeOf(() => webhooks.onEvent('log' as never))).to.equal('ERR_NTW_HANDLER');
      expect(await codeOf(() => webhooks.onError(null as never))).to.equal('ERR_NTW_HANDLER');
    });

    it('a misspelled adapter option fails in its constructor', () => {
      expect(messageOf(() => new PostgresStorage({ connectionString: 'postgres://x', timeout: 100 } as never))).to.include('did you mean "timeoutMs"');
      expect(messageOf(() => new RedisStorage({ url: 'redis://x', keyprefix: 'a:' } as never))).to.include('did you mean "keyPrefix"');
      expect(messageOf(() => new SqliteStorage({ path: ':memory:', synchronus: 'full' } as never))).to.include('did you mean "synchronous"');
    });

    it('a storage that is not one (a connection string), before any delivery', async () => {
      expect(await codeOf(() => createTokenWebhooks({ storage: 'postgres://localhost/db' as never }))).to.equal('ERR_NTW_STORAGE');
    });

    it('a hex key where base64 is expected (Cybersource keys, the encryption key)', async () => {
      const hex = 'ab'.repeat(32);
      const webhooks = open();
      expect(await codeOf(() => webhooks.cybersource({ keys: { k: hex } }))).to.equal('ERR_NTW_CYBERSOURCE_KEY');
      expect(messageOf(() => webhooks.cybersource({ keys: { k: hex } }))).to.include('looks like hex');
      expect(await codeOf(() => createTokenWebhooks({ encryptionKey: hex }))).to.equal('ERR_NTW_ENCRYPTION_KEY');
      expect(messageOf(() => createTokenWebhooks({ encryptionKey: hex }))).to.include("Buffer.from(key, 'hex')");
    });

    it('a bearer secret an Authorization header cannot carry (a space, a "!")', async () => {
      const webhooks = open();
      for (const bearer of ['correct horse battery staple', 'sixteen-chars-and!', 'equals=in=the=middle-0123']) {
        expect(await codeOf(() => webhooks.tokenex({ auth: { bearer } }))).to.equal('ERR_NTW_AUTH_BEARER');
      }
      // RFC 6750's b64token: base64url, base64 with padding
      expect(webhooks.tokenex({ auth: { bearer: ['A-b_c.d~e+f/g0123456', 'QUJDREVGR0hJSktMTU5PUA=='] } })).to.be.a('function');
    });
  });

  describe('handlers', () => {
    it('with no handler registered, a delivery is refused retry-later and reported; nothing is stored', async () => {
      const storage = new MemoryStorage();
      const webhooks = open({ storage });
      const reported: string[] = [];
      webhooks.onError((error) => { reported.push((error as ConfigurationError).code); });
      const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
      const body = tokenexBody();
      const refused = await tokenexPost(app, undefined, body);
      expect(refused.status).to.equal(500);
      expect(refused.body.error.code).to.equal('not_configured');
      expect(reported).to.deep.equal(['ERR_NTW_NO_HANDLERS']);
      expect(await webhooks.listEvents()).to.deep.equal([]);

      const seen: string[] = [];
      webhooks.onEvent((event) => { seen.push(event.id); }); // registered after mounting: the retry goes through
      expect((await tokenexPost(app, undefined, body)).status).to.equal(200);
      expect(seen).to.have.length(1);
    });

    it('inbox mode, mounted before its handlers: stored events wait for a handler', async () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false, mode: 'inbox', inbox: { pollIntervalMs: false } });
      opened.push(webhooks);
      const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
      webhooks.onSuspended(() => undefined);
      expect((await tokenexPost(app)).status).to.equal(200);
      const late = createTokenWebhooks({ pruneIntervalMs: false, mode: 'inbox', inbox: { pollIntervalMs: false }, storage: webhooks.storage });
      opened.push(late);
      late.tokenex({ auth: { bearer: BEARER } });
      expect(await late.processInbox()).to.equal(0); // no handler yet: nothing is taken
      const seen: string[] = [];
      late.onEvent((event) => { seen.push(event.type); });
      expect(await late.processInbox()).to.equal(1);
      expect(seen).to.deep.equal(['token.suspended']);
    });

    it('ready({ app }) fails when no handler is registered', async () => {
      const webhooks = open();
      const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
      expect(await codeOf(() => webhooks.ready({ app }))).to.equal('ERR_NTW_NO_HANDLERS');
      webhooks.onEvent(() => undefined);
      await webhooks.ready({ app });
    });
  });

  // Express 4's types differ from 5's; these tests use what both share.
  const express4App = () => express4() as unknown as express.Express;
  for (const [name, makeApp] of [['Express 5', express], ['Express 4', express4App]] as const) {
    describe(`mounts (${name})`, () => {
      const withHandler = () => open().onEvent(() => undefined);

      it('accepts the documented mounts: app.use(path), app.post(path), a nested router, app.route().get().post()', async () => {
        const webhooks = withHandler();
        const app = makeApp();
        app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
        app.post('/hooks/ni', webhooks.ni({ auth: { bearer: BEARER } }));
        const router = name === 'Express 5' ? express.Router() : express4.Router() as unknown as express.Router;
        router.use('/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        app.use('/webhooks', router);
        const firstoken = webhooks.firstoken({ auth: { bearer: BEARER } });
        app.route('/hooks/firstoken').get(firstoken).post(firstoken);
        await webhooks.ready({ app });
      });

      it('mounted with app.get: ERR_NTW_MOUNT_METHOD', async () => {
        const webhooks = withHandler();
        const app = makeApp();
        app.get('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
        expect(await codeOf(() => webhooks.ready({ app }))).to.equal('ERR_NTW_MOUNT_METHOD');
      });

      it('app.use without a path: ERR_NTW_MOUNT_PATH, and the app\'s other routes still answer', async () => {
        const webhooks = withHandler();
        const reported: string[] = [];
        webhooks.onError((error) => { reported.push((error as ConfigurationError).code); });
        const app = makeApp();
        app.use(webhooks.tokenex({ auth: { bearer: BEARER } }));
        app.get('/health', (_req, res) => { res.send('ok'); });
        expect(await codeOf(() => webhooks.ready({ app }))).to.equal('ERR_NTW_MOUNT_PATH');
        const health = await request(app).get('/health');
        expect([health.status, health.text]).to.deep.equal([200, 'ok']);
        expect(reported).to.deep.equal(['ERR_NTW_MOUNT_PATH']); // reported once, at the first request
        await request(app).get('/health');
        expect(reported).to.have.length(1);
      });

      it('two endpoints for one provider on one path: ERR_NTW_MOUNT_DUPLICATE, reported at the first request too', async () => {
        const webhooks = withHandler();
        const reported: string[] = [];
        webhooks.onError((error) => { reported.push((error as ConfigurationError).code); });
        const app = makeApp();
        app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
        app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: `${BEARER}-other` } }));
        app.use('/webhooks/tokenex-eu', webhooks.tokenex({ auth: { bearer: BEARER } })); // another path: fine
        expect(await codeOf(() => webhooks.ready({ app }))).to.equal('ERR_NTW_MOUNT_DUPLICATE');
        expect((await tokenexPost(app)).status).to.equal(200);
        expect(reported).to.deep.equal(['ERR_NTW_MOUNT_DUPLICATE']);
      });

      const parsers = (name === 'Express 5' ? express : express4) as unknown as typeof express;
      const keepBytes = parsers.json({ verify: (req: IncomingMessage & { rawBody?: Buffer }, _res, buf) => { req.rawBody = buf; } });
      const signed = (app: express.Express, path = '/webhooks/cybersource') => request(app).post(path)
        .set({ 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(cybersourceBody) }).send(cybersourceBody);

      it('express.json() before an endpoint that verifies the raw bytes: ERR_NTW_MOUNT_BODY_PARSED, saying how to fix it', async () => {
        const webhooks = withHandler();
        const app = makeApp();
        app.use(parsers.json());
        app.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        const error = await errorOf(() => webhooks.ready({ app }));
        expect(error.code).to.equal('ERR_NTW_MOUNT_BODY_PARSED');
        expect(error.message).to.include('"/webhooks/cybersource"').and.include('500 raw_body_unavailable')
          .and.include('before the parser').and.include('express.json({ verify: (req, res, buf) => { req.rawBody = buf } })');
        // what ready() prevents: the first delivery would be refused retry-later, and so would every retry
        const first = await signed(app);
        expect([first.status, first.body.error.code]).to.deep.equal([500, 'raw_body_unavailable']);
      });

      it('any authenticate hook behind express.json(), or express.urlencoded() taking every type: ERR_NTW_MOUNT_BODY_PARSED', async () => {
        const webhooks = withHandler();
        const hook = makeApp();
        hook.use(parsers.json());
        hook.use('/webhooks/tokenex', webhooks.tokenex({ authenticate: () => true }));
        expect(await codeOf(() => webhooks.ready({ app: hook }))).to.equal('ERR_NTW_MOUNT_BODY_PARSED');
        const form = makeApp();
        form.use(parsers.urlencoded({ extended: false, type: () => true }));
        const router = name === 'Express 5' ? express.Router() : express4.Router() as unknown as express.Router;
        router.use('/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        form.use('/webhooks', router);
        expect(await codeOf(() => webhooks.ready({ app: form }))).to.equal('ERR_NTW_MOUNT_BODY_PARSED');
        expect((await signed(form)).body.error.code).to.equal('raw_body_unavailable');
      });

      it('app.post(path, cybersource): ERR_NTW_MOUNT_HEALTH_CHECK, with or without a catch-all 404 of the app', async () => {
        const webhooks = withHandler();
        const app = makeApp();
        app.post('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        const error = await errorOf(() => webhooks.ready({ app }));
        expect(error.code).to.equal('ERR_NTW_MOUNT_HEALTH_CHECK');
        expect(error.message).to.include('"/webhooks/cybersource"').and.include('GET').and.include('app.use(path, …) or app.all(path, …)');
        // what ready() prevents: Cybersource's health check gets the app's 404 (deliveries themselves work)
        expect((await request(app).get('/webhooks/cybersource')).status).to.equal(404);
        expect((await signed(app)).status).to.equal(200);
        app.use((_req, res) => { res.status(404).json({ error: 'not found' }); });
        expect(await codeOf(() => webhooks.ready({ app }))).to.equal('ERR_NTW_MOUNT_HEALTH_CHECK');
      });

      it('the correct mounts pass, and work: before a parser, behind the verify form, express.raw(), app.all, a router, app.route()', async () => {
        const webhooks = withHandler();
        const before = makeApp();
        before.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        before.use(parsers.json());
        const verified = makeApp();
        verified.use(keepBytes);
        verified.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        verified.use('/webhooks/tokenex', webhooks.tokenex({ authenticate: () => true }));
        const raw = makeApp();
        raw.use(parsers.raw({ type: '*/*' }));
        raw.all('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        const router = name === 'Express 5' ? express.Router() : express4.Router() as unknown as express.Router;
        router.use('/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        const routedApp = makeApp();
        routedApp.use(keepBytes);
        routedApp.use(parsers.urlencoded({ extended: false })); // takes form bodies only: deliveries are JSON
        routedApp.use('/webhooks', router);
        const cybersource = webhooks.cybersource({ keys: CYBERSOURCE_KEYS });
        const route = makeApp();
        route.route('/hooks/cybersource').get(cybersource).post(cybersource);
        route.use(parsers.json());
        for (const app of [before, verified, raw, routedApp, route]) await webhooks.ready({ app });
        for (const [app, path] of [[before], [verified], [raw], [routedApp], [route, '/hooks/cybersource']] as const) {
          expect((await signed(app, path)).status, path).to.equal(200);
          expect((await request(app).get(path ?? '/webhooks/cybersource')).text).to.equal('{"status":"ok"}');
        }
      });

      it('host middleware that answers a probe itself (authentication, a rate limiter, an error, a hang): never a false alarm', async () => {
        const webhooks = withHandler();
        const capture = captureDebug();
        try {
          // an authentication in front: answers 401 to a request without its credentials
          const guarded = makeApp();
          guarded.use('/webhooks', (req, res, next) => { if (req.headers['x-gateway'] === 'yes') next(); else res.status(401).end(); });
          guarded.use(parsers.json()); // a mistake it hides: logged, not thrown
          guarded.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
          await webhooks.ready({ app: guarded });
          // a rate limiter allowing one request a minute: the POST passes, the GET is answered 429
          const limited = makeApp();
          limited.use(rateLimit({ windowMs: 60_000, limit: 1 }));
          limited.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
          await webhooks.ready({ app: limited });
          // a middleware passing an error on (a session store down)
          const failing = makeApp();
          failing.use((_req, _res, next) => { next(new Error('session store down')); });
          failing.post('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
          await webhooks.ready({ app: failing });
          // a middleware that never answers: given up on after the probe's timeout
          const hung = makeApp();
          hung.use(() => undefined);
          hung.use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
          expect(await probeMounts(hung, findMounts(hung), 50)).to.deep.equal([]);
        } finally {
          capture.restore();
        }
        const skipped = capture.lines.filter((l) => l.includes('mount check'));
        expect(skipped.some((l) => l.includes('a POST to the cybersource endpoint at "/webhooks/cybersource" did not reach it (the app answered 401)'))).to.equal(true);
        expect(skipped.some((l) => l.includes('a GET to the cybersource endpoint at "/webhooks/cybersource" did not reach it (the app answered 429)'))).to.equal(true);
        expect(skipped.some((l) => l.includes('the app passed on an error: session store down'))).to.equal(true);
        expect(skipped.some((l) => l.includes('no answer within 50 ms'))).to.equal(true);
      });

      it('an endpoint on a path with parameters is not probed (logged under debug)', async () => {
        const webhooks = withHandler();
        const app = makeApp();
        app.use(parsers.json());
        app.use('/webhooks/:tenant/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
        const capture = captureDebug();
        try {
          await webhooks.ready({ app });
        } finally {
          capture.restore();
        }
        expect(capture.lines.some((l) => l.includes('is not a literal path'))).to.equal(true);
      });
    });
  }

  describe('storage', () => {
    it('a storage whose init fails: ready() rejects with a StorageError naming it', async () => {
      const failing: Storage = Object.assign(new MemoryStorage(), {
        init: () => { throw new Error('connect ECONNREFUSED'); },
        describe: () => 'Test store at db.internal:1234',
      });
      const webhooks = open({ storage: failing });
      const error = await webhooks.ready().then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(StorageError);
      expect(error).to.include({ code: 'ERR_NTW_STORAGE_UNAVAILABLE', operation: 'init' });
      expect((error as Error).message).to.include('Test store at db.internal:1234').and.include('ECONNREFUSED');
    });

    it('PostgreSQL unreachable: the error names host, port and database, never the password', async () => {
      const storage = new PostgresStorage({ connectionString: 'postgres://user:hunter2-secret@127.0.0.1:1/payments', timeoutMs: 1000 });
      const webhooks = open({ storage });
      const error = await webhooks.ready().then(() => undefined, (e: unknown) => e) as StorageError;
      expect(error.code).to.equal('ERR_NTW_STORAGE_UNAVAILABLE');
      expect(error.message).to.include('PostgreSQL at 127.0.0.1:1/payments').and.not.include('hunter2');
    });

    it('Redis unreachable: the error names host and port', async () => {
      const storage = new RedisStorage({ url: 'redis://:hunter2-secret@127.0.0.1:1', timeoutMs: 1000 });
      const webhooks = open({ storage });
      const error = await webhooks.ready().then(() => undefined, (e: unknown) => e) as StorageError;
      expect(error.code).to.equal('ERR_NTW_STORAGE_UNAVAILABLE');
      expect(error.message).to.include('Redis at 127.0.0.1:1').and.not.include('hunter2');
    });

    it('health() asks the storage each time: ok, then not ok while it fails, naming it', async () => {
      let down = false;
      const storage: Storage = Object.assign(new MemoryStorage(), { describe: () => 'Test store at db.internal:1234' });
      const getTokenState = storage.getTokenState.bind(storage);
      storage.getTokenState = (provider, tokenRef) => {
        if (down) throw new Error('connection reset');
        return getTokenState(provider, tokenRef);
      };
      const webhooks = open({ storage });
      expect((await webhooks.health()).ok).to.equal(false); // no handler yet
      webhooks.onEvent(() => undefined);
      const healthy = await webhooks.health();
      expect(healthy).to.deep.include({ ok: true, handlers: 1, closing: false });
      expect(healthy.storage.ok).to.equal(true);
      down = true;
      const sick = await webhooks.health();
      expect(sick.ok).to.equal(false);
      expect(sick.storage.error).to.include('Test store at db.internal:1234').and.include('connection reset');
      down = false;
      expect((await webhooks.health()).ok).to.equal(true);
      await webhooks.close();
      expect((await webhooks.health()).closing).to.equal(true);
    });
  });

  describe('refusals are explained under DEBUG, never to the sender', () => {
    it('each reason of a 401 has its own log line; the answers are identical', async () => {
      const webhooks = open().onEvent(() => undefined);
      const app = express()
        .use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }))
        .use('/webhooks/cybersource', webhooks.cybersource({ keys: CYBERSOURCE_KEYS }));
      const body = tokenexBody();
      const capture = captureDebug();
      const answers: string[] = [];
      try {
        const send = async (path: string, headers: Record<string, string>) => {
          const res = await request(app).post(path).set({ 'content-type': 'application/json', ...headers }).send(body);
          expect(res.status).to.equal(401);
          answers.push(res.text);
        };
        await send('/webhooks/tokenex', {});
        await send('/webhooks/tokenex', { authorization: 'Bearer wrong-secret-0123456789' });
        await send('/webhooks/tokenex', { authorization: 'Digest abc' });
        await send('/webhooks/cybersource', {});
        await send('/webhooks/cybersource', { 'v-c-signature': `t=${Date.now()};keyId=nope;sig=AAAA` });
        await send('/webhooks/cybersource', { 'v-c-signature': `t=1;keyId=test-key;sig=AAAA` });
        await send('/webhooks/cybersource', { 'v-c-signature': `t=${Date.now()};keyId=test-key;sig=AAAA` });
      } finally {
        capture.restore();
      }
      expect(new Set(answers).size).to.equal(1);
      const reasons = capture.lines.filter((l) => /refused:/.test(l)).map((l) => l.replace(/^.*?refused/, 'refused').replace(/\(\d+ ms old\)/, ''));
      expect(reasons).to.have.length(7);
      expect(new Set(reasons).size).to.equal(7);
    });
  });
});
