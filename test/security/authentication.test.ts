import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { ConfigurationError, createTokenWebhooks } from '../../lib';
import type { AuthenticateFn, ProviderOptions, WebhookMiddleware } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { capturingWarnings } from '../helpers/unauthenticated';
import { descriptor } from '../providers/descriptors';
import {
  BASIC, CS_FOREIGN_KEY, CS_KEYS, FUTURE_TOLERANCE, NI_STATIC, SECRETS, T0, TOLERANCE,
  PROVIDERS, csSignature, post, rejectionCode, securityCredentials, securityReceiver, validHeaders,
} from './support';
import type { ProviderName, SecurityReceiver } from './support';

/** Each provider's sample delivery (its descriptor's). */
const BODIES = Object.fromEntries(PROVIDERS.map((p) => [p, fixture(p, descriptor(p).sample).text])) as Record<ProviderName, string>;

/** 401 in the provider's format, no handler called, nothing stored. */
async function expectUnauthorized(r: SecurityReceiver, provider: ProviderName, res: Response): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).to.equal(401);
  expect(rejectionCode(provider, res)).to.equal('unauthorized');
  descriptor(provider).expectRejection(res, 401, 'unauthorized');
  expect(r.recorder.calls, 'handlers').to.have.length(0);
  expect(await r.webhooks.listEvents(), 'stored events').to.have.length(0);
}

async function expectAccepted(r: SecurityReceiver, provider: ProviderName, res: Response): Promise<void> {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(r.recorder.count('event')).to.equal(1);
  expect(await r.webhooks.listEvents()).to.have.length(1);
}

const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('security: authentication of every provider', () => {
  describe('every provider: an unsigned, forged or tampered delivery is 401, in its own answer format', () => {
    for (const provider of PROVIDERS) {
      const body = BODIES[provider];
      const { credentialHeader } = descriptor(provider);
      const valid = () => validHeaders(provider, body)[credentialHeader]!;
      /** One character of a valid credential changed: a forgery of the right shape. */
      const forged = (where: 'first' | 'middle' | 'last') => {
        const value = valid();
        const i = where === 'first' ? 0 : where === 'middle' ? Math.floor(value.length / 2) : value.length - 1;
        return { ...validHeaders(provider, body), [credentialHeader]: value.slice(0, i) + (value[i] === 'A' ? 'B' : 'A') + value.slice(i + 1) };
      };
      it(`${provider}: without credentials`, async () => {
        const r = securityReceiver();
        await expectUnauthorized(r, provider, await post(r.app, provider, body, {}));
      });
      for (const where of ['first', 'middle', 'last'] as const) {
        it(`${provider}: forged (the ${where} character of a valid ${credentialHeader} changed)`, async () => {
          const r = securityReceiver();
          await expectUnauthorized(r, provider, await post(r.app, provider, body, forged(where)));
        });
      }
      for (const [name, headers] of Object.entries(descriptor(provider).forgeries?.(body, securityCredentials()) ?? {})) {
        it(`${provider}: ${name}`, async () => {
          const r = securityReceiver();
          await expectUnauthorized(r, provider, await post(r.app, provider, body, headers));
        });
      }
      // A body changed after signing, still valid JSON of the same meaning: only the signature can refuse it.
      const tampered = body.replace(/}\s*$/, ' }');
      if (validHeaders(provider, tampered)[credentialHeader] !== valid()) {
        it(`${provider}: tampered (its body changed after signing)`, async () => {
          const r = securityReceiver();
          await expectUnauthorized(r, provider, await post(r.app, provider, tampered, validHeaders(provider, body)));
        });
      }
    }
  });

  describe('cybersource v-c-signature', () => {
    const body = BODIES.cybersource;
    const sigOnly = (header: string) => header.split(';sig=')[1]!;
    const rejected: Record<string, () => string | undefined> = {
      'missing header': () => undefined,
      'empty header': () => '',
      'garbage header': () => 'not a signature',
      'no sig part': () => `t=${T0};keyId=key-2025`,
      'no keyId part': () => `t=${T0};sig=${sigOnly(csSignature(body))}`,
      'non-numeric t': () => csSignature(body).replace(`t=${T0}`, 't=yesterday'),
      'sig not base64': () => `t=${T0};keyId=key-2025;sig=%%%%`,
      'unknown keyId': () => csSignature(body, { keyId: 'key-1999', key: CS_KEYS['key-2025'] }),
      'wrong key under a configured keyId': () => csSignature(body, { keyId: 'key-2025', key: CS_FOREIGN_KEY }),
      'right key, other key id (rotation does not mix keys)': () => csSignature(body, { keyId: 'key-2024', key: CS_KEYS['key-2025'] }),
      'signature of another body': () => csSignature(body.replace('SUSPENDED', 'ACTIVE')),
      'signature without the timestamp prefix': () => {
        const h = csSignature(body);
        return h.replace(/sig=.*/, `sig=${createHmac('sha256', Buffer.from(CS_KEYS['key-2025'], 'base64')).update(body).digest('base64')}`);
      },
      'replayed: t older than the 60-minute tolerance': () => csSignature(body, { t: T0 - TOLERANCE - 1 }),
      'future-dated: t beyond the 5-minute allowance': () => csSignature(body, { t: T0 + FUTURE_TOLERANCE + 1 }),
      't in seconds instead of ms': () => csSignature(body, { t: Math.floor(T0 / 1000) }),
    };
    for (const [name, header] of Object.entries(rejected)) {
      it(`401 for ${name}`, async () => {
        const r = securityReceiver();
        const h = header();
        await expectUnauthorized(r, 'cybersource', await post(r.app, 'cybersource', body, h === undefined ? {} : { 'v-c-signature': h }));
      });
    }

    it('401 when the body was tampered after signing', async () => {
      const r = securityReceiver();
      const res = await post(r.app, 'cybersource', body.replace('SUSPENDED', 'ACTIVE'), { 'v-c-signature': csSignature(body) });
      await expectUnauthorized(r, 'cybersource', res);
    });

    const accepted: Record<string, (b: string) => string> = {
      'the newer key (key-2025)': (b) => csSignature(b, { keyId: 'key-2025' }),
      'the older key still configured (key-2024)': (b) => csSignature(b, { keyId: 'key-2024' }),
      't exactly 60 minutes old': (b) => csSignature(b, { t: T0 - TOLERANCE }),
      't exactly 5 minutes ahead': (b) => csSignature(b, { t: T0 + FUTURE_TOLERANCE }),
      'parts spaced and reordered': (b) => { const [t, k, s] = csSignature(b).split(';'); return ` ${s} ; ${k} ;${t}`; },
      'the <t>.<JSON of payload> construction': (b) => csSignature(JSON.stringify((JSON.parse(b) as { payload: unknown }).payload)),
    };
    for (const [name, header] of Object.entries(accepted)) {
      it(`accepts ${name}`, async () => {
        const r = securityReceiver();
        const h = header(body);
        expect(h).to.match(/sig=[A-Za-z0-9+/]+=/); // base64 padding inside the header value
        await expectAccepted(r, 'cybersource', await post(r.app, 'cybersource', body, { 'v-c-signature': h }));
      });
    }

    it('honours a configured tolerance and the injected clock', async () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
      const app = express().use('/cs', webhooks.cybersource({ keys: CS_KEYS, toleranceMs: 1000, futureToleranceMs: 500, now: () => T0 }));
      const send = (t: number) => request(app).post('/cs').set({ 'content-type': 'application/json', 'v-c-signature': csSignature(body, { t }) }).send(body);
      expect((await send(T0 - 1001)).status).to.equal(401);
      expect((await send(T0 + 501)).status).to.equal(401);
      expect((await send(T0 + 500)).status).to.equal(200);
      expect((await send(T0 - 1000)).status).to.equal(200);
    });

    it('by default accepts a t up to 60 minutes old (Cybersource\'s own sample and cartridge) and 5 minutes ahead', async () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
      const app = express().use('/cs', webhooks.cybersource({ keys: CS_KEYS, now: () => T0 }));
      const send = (t: number, id: string) => {
        const b = body.replace('3904693A51027574XXXXAF598E0AA195', id);
        return request(app).post('/cs').set({ 'content-type': 'application/json', 'v-c-signature': csSignature(b, { t }) }).send(b);
      };
      expect((await send(T0 - 3_600_000, 'a')).status).to.equal(200);
      expect((await send(T0 - 3_600_001, 'b')).status).to.equal(401);
      expect((await send(T0 + 300_000, 'c')).status).to.equal(200);
      expect((await send(T0 + 300_001, 'd')).status).to.equal(401);
    });

    it('refuses to start without keys, with a clear error, unless auth is explicitly none', () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
      // @ts-expect-error: nor does it compile
      expect(() => webhooks.cybersource()).to.throw(ConfigurationError, /keys.*v-c-signature/).with.property('code', 'ERR_NTW_CYBERSOURCE_KEY');
      expect(() => webhooks.cybersource({ keys: {} })).to.throw(ConfigurationError);
      expect(() => webhooks.cybersource({ keys: { short: Buffer.alloc(7).toString('base64') } })).to.throw(ConfigurationError);
    });

    it("auth: 'none' starts, with a process warning", () => {
      const { result, warnings } = capturingWarnings(() => createTokenWebhooks({ pruneIntervalMs: false }).cybersource({ auth: 'none' }));
      expect(result).to.be.a('function');
      expect(warnings).to.deep.equal(["network-token-webhooks: the cybersource endpoint accepts unauthenticated deliveries (auth: 'none')"]);
    });

    it('answers a GET health check with 200 without credentials', async () => {
      const r = securityReceiver();
      const res = await request(r.app).get('/webhooks/cybersource');
      expect(res.status).to.equal(200);
      expect(r.recorder.calls).to.have.length(0);
    });
  });

  for (const provider of ['tokenex', 'firstoken'] as const) {
    describe(`${provider} shared secret`, () => {
      const body = BODIES[provider];
      const rejected: Record<string, Record<string, string>> = {
        'missing Authorization': {},
        'empty Authorization': { authorization: '' },
        'scheme without credentials': { authorization: 'Bearer' },
        'unknown scheme': { authorization: `Token ${SECRETS[1]}` },
        'credentials with illegal characters': { authorization: `Bearer ${SECRETS[1]}!` },
        'wrong bearer secret': { authorization: 'Bearer shared-secret-wrong-0123456789' },
        'bearer secret with a suffix': { authorization: `Bearer ${SECRETS[1]}x` },
        'bearer secret truncated': { authorization: `Bearer ${SECRETS[1].slice(0, -1)}` },
        'basic with wrong password': { authorization: basic(BASIC.username, 'wrong-password') },
        'basic with a bearer secret as password': { authorization: basic(BASIC.username, SECRETS[1]) },
        'the secret sent as basic instead of bearer': { authorization: `Basic ${SECRETS[1]}` },
      };
      for (const [name, headers] of Object.entries(rejected)) {
        it(`401 for ${name}`, async () => {
          const r = securityReceiver();
          await expectUnauthorized(r, provider, await post(r.app, provider, body, headers));
        });
      }
      const accepted: Record<string, string> = {
        'the new secret': `Bearer ${SECRETS[1]}`,
        'the old secret, still configured (rotation)': `Bearer ${SECRETS[0]}`,
        'a lower-case scheme': `bearer ${SECRETS[0]}`,
        'basic credentials': basic(BASIC.username, BASIC.password),
      };
      for (const [name, authorization] of Object.entries(accepted)) {
        it(`accepts ${name}`, async () => {
          const r = securityReceiver();
          await expectAccepted(r, provider, await post(r.app, provider, body, { authorization }));
        });
      }
    });
  }

  describe('source-IP allow-list (CIDR, honouring trust proxy)', () => {
    const body = BODIES.tokenex;
    const mount = (trustProxy: boolean | string, allowIps: string[], bearer?: string) => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
      const app = express();
      app.set('trust proxy', trustProxy);
      app.use('/t', webhooks.tokenex({ auth: { allowIps, ...(bearer ? { bearer } : {}) } }));
      return (headers: Record<string, string>) => request(app).post('/t').set({ 'content-type': 'application/json', ...headers }).send(body);
    };

    it('behind a trusted proxy, X-Forwarded-For decides: inside the CIDR passes, outside is 401', async () => {
      const send = mount('loopback', ['10.0.0.0/8', '2001:db8::/32']);
      expect((await send({ 'x-forwarded-for': '10.20.30.40' })).status).to.equal(200);
      expect((await send({ 'x-forwarded-for': '2001:db8::1' })).status).to.equal(200);
      const res = await send({ 'x-forwarded-for': '192.168.1.1' });
      expect(res.status).to.equal(401);
      expect(res.body.error.code).to.equal('unauthorized');
    });

    it('without trust proxy, X-Forwarded-For is ignored: a spoofed header does not pass', async () => {
      const send = mount(false, ['10.0.0.0/8']);
      expect((await send({ 'x-forwarded-for': '10.20.30.40' })).status).to.equal(401);
    });

    it('the socket address counts without a proxy (IPv4-mapped IPv6 included)', async () => {
      expect((await mount(false, ['127.0.0.0/8'])({})).status).to.equal(200);
    });

    it('allowIps and a secret together: both are required', async () => {
      const send = mount('loopback', ['10.0.0.0/8'], SECRETS[0]);
      expect((await send({ 'x-forwarded-for': '10.0.0.1' })).status).to.equal(401);
      expect((await send({ 'x-forwarded-for': '11.0.0.1', authorization: `Bearer ${SECRETS[0]}` })).status).to.equal(401);
      expect((await send({ 'x-forwarded-for': '10.0.0.1', authorization: `Bearer ${SECRETS[0]}` })).status).to.equal(200);
    });

    it('a bad allow-list entry fails at start-up', () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
      expect(() => webhooks.tokenex({ auth: { allowIps: ['10.0.0.0/33'] } })).to.throw(ConfigurationError);
      expect(() => webhooks.tokenex({ auth: { allowIps: ['example.com'] } })).to.throw(ConfigurationError);
    });
  });

  describe('configuration', () => {
    it('short bearer secrets and empty auth objects are refused at start-up', () => {
      const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
      expect(() => webhooks.tokenex({ auth: { bearer: 'short' } })).to.throw(ConfigurationError);
      expect(() => webhooks.firstoken({ auth: {} })).to.throw(ConfigurationError);
      expect(() => webhooks.ni({ auth: { bearer: [] } })).to.throw(ConfigurationError);
    });
  });

  describe('custom authenticate hook (any provider)', () => {
    for (const provider of PROVIDERS) {
      it(`${provider}: the hook sees the exact raw bytes; false or a throw is 401, true passes`, async () => {
        const seen: Buffer[] = [];
        let verdict: 'yes' | 'no' | 'throw' = 'no';
        const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
        let calls = 0;
        webhooks.onEvent(() => { calls++; });
        const authenticate: AuthenticateFn = async (req, raw) => {
          seen.push(raw);
          if (verdict === 'throw') throw new Error('hook failed');
          return verdict === 'yes' && req.headers['x-custom'] === 'ok';
        };
        // The hook replaces the provider's own check (no keys or secrets configured here).
        const mount = webhooks[provider] as (options: ProviderOptions) => WebhookMiddleware;
        const app = express().use('/h', mount({ authenticate }));
        const body = ` ${BODIES[provider]}\n`;
        const send = () => request(app).post('/h').set({ 'content-type': 'application/json', 'x-custom': 'ok' }).send(body);
        expect((await send()).status).to.equal(401);
        verdict = 'throw';
        expect((await send()).status).to.equal(401);
        expect(calls).to.equal(0);
        verdict = 'yes';
        expect((await send()).status).to.equal(200);
        expect(calls).to.equal(1);
        expect(seen.every((b) => b.toString('utf8') === body)).to.equal(true);
      });
    }
  });

  it('valid credentials pass for every provider', async () => {
    for (const provider of PROVIDERS) {
      const r = securityReceiver();
      await expectAccepted(r, provider, await post(r.app, provider, BODIES[provider], validHeaders(provider, BODIES[provider])));
    }
  });

  it('NI static bearer: wrong and missing are 401 in NI format', async () => {
    const r = securityReceiver();
    await expectUnauthorized(r, 'ni', await post(r.app, 'ni', BODIES.ni, {}));
    await expectUnauthorized(r, 'ni', await post(r.app, 'ni', BODIES.ni, { authorization: `Bearer ${NI_STATIC}0` }));
    await expectUnauthorized(r, 'ni', await post(r.app, 'ni', BODIES.ni, { authorization: basic('ni', NI_STATIC) }));
  });
});
