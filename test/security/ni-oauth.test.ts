import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import type { Response } from 'supertest';
import { ConfigurationError, createTokenWebhooks, niTokenEndpoint, oauthTokenEndpoint } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { clientCredentials } from '../../lib/auth/client-credentials';
import { captureDebug } from '../helpers/debug-capture';
import { NI_CLIENTS, NI_TTL, T0, niAccessToken, post, securityReceiver } from './support';
import type { SecurityReceiver } from './support';

const body = fixture('ni', 'sample-request-for-td').text;
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function expectNiUnauthorized(r: SecurityReceiver, res: Response): Promise<void> {
  expect(res.status).to.equal(401);
  expect(res.body.response.status).to.deep.equal({ code: '63', description: 'unauthorized' });
  expect(res.body.type).to.equal('');
  expect(r.recorder.calls).to.have.length(0);
  expect(await r.webhooks.listEvents()).to.have.length(0);
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Re-sign a token's edited claims with a key we choose (a forger's attempt). */
function forge(token: string, edit: (claims: Record<string, unknown>) => void, key = Buffer.alloc(32, 9), header?: string, hash = 'sha256'): string {
  const [h, p] = token.split('.') as [string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(claims);
  const input = `${header ?? h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${input}.${createHmac(hash, key).update(input).digest('base64url')}`;
}

const encodedHeader = (header: object) => Buffer.from(JSON.stringify(header)).toString('base64url');

describe('security: NI OAuth2 client credentials', () => {
  describe('token endpoint', () => {
    it('issues { access_token, token_type: "Bearer", expires_in } for form credentials (client_secret_post), not cacheable', async () => {
      const r = securityReceiver();
      const res = await request(r.app).post('/oauth/ni/token').type('form')
        .send({ grant_type: 'client_credentials', client_id: NI_CLIENTS[1].clientId, client_secret: NI_CLIENTS[1].clientSecret });
      expect(res.status).to.equal(200);
      expect(res.body).to.have.all.keys('access_token', 'token_type', 'expires_in');
      expect(res.body.token_type).to.equal('Bearer');
      expect(res.body.expires_in).to.equal(NI_TTL);
      expect(res.body.access_token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers.pragma).to.equal('no-cache');
    });

    it('accepts HTTP Basic client credentials (client_secret_basic, form-urlencoded parts) and a JSON body', async () => {
      const r = securityReceiver();
      const viaBasic = await request(r.app).post('/oauth/ni/token').type('form')
        .set('authorization', basic(NI_CLIENTS[0].clientId, NI_CLIENTS[0].clientSecret)).send('grant_type=client_credentials');
      expect(viaBasic.status).to.equal(200);
      const viaJson = await request(r.app).post('/oauth/ni/token').type('json')
        .send({ grant_type: 'client_credentials', client_id: NI_CLIENTS[0].clientId, client_secret: NI_CLIENTS[0].clientSecret });
      expect(viaJson.status).to.equal(200);
    });

    it('works when the host app parsed the form first (express.urlencoded)', async () => {
      const r = securityReceiver((app) => app.use(express.urlencoded({ extended: false })));
      expect(await niAccessToken(r.app)).to.be.a('string');
    });

    const refusals: [string, (req: request.Test) => request.Test, number, string][] = [
      ['a wrong client secret', (q) => q.type('form').send({ grant_type: 'client_credentials', client_id: NI_CLIENTS[1].clientId, client_secret: 'x'.repeat(32) }), 401, 'invalid_client'],
      ['an unknown client id', (q) => q.type('form').send({ grant_type: 'client_credentials', client_id: 'someone', client_secret: NI_CLIENTS[1].clientSecret }), 401, 'invalid_client'],
      ["one client's id with the other's secret", (q) => q.type('form').send({ grant_type: 'client_credentials', client_id: NI_CLIENTS[0].clientId, client_secret: NI_CLIENTS[1].clientSecret }), 401, 'invalid_client'],
      ['no credentials', (q) => q.type('form').send({ grant_type: 'client_credentials' }), 401, 'invalid_client'],
      ['a malformed Authorization header', (q) => q.type('form').set('authorization', 'Basic !!!').send({ grant_type: 'client_credentials' }), 401, 'invalid_client'],
      ['wrong Basic credentials', (q) => q.type('form').set('authorization', basic(NI_CLIENTS[1].clientId, 'nope')).send('grant_type=client_credentials'), 401, 'invalid_client'],
      ['a missing grant_type', (q) => q.type('form').send({ client_id: NI_CLIENTS[1].clientId, client_secret: NI_CLIENTS[1].clientSecret }), 400, 'invalid_request'],
      ['another grant type', (q) => q.type('form').send({ grant_type: 'password', client_id: NI_CLIENTS[1].clientId, client_secret: NI_CLIENTS[1].clientSecret }), 400, 'unsupported_grant_type'],
      ['two client authentication methods', (q) => q.type('form').set('authorization', basic(NI_CLIENTS[1].clientId, NI_CLIENTS[1].clientSecret)).send({ grant_type: 'client_credentials', client_id: NI_CLIENTS[1].clientId, client_secret: NI_CLIENTS[1].clientSecret }), 400, 'invalid_request'],
      ['a text/plain body', (q) => q.set('content-type', 'text/plain').send('grant_type=client_credentials'), 400, 'invalid_request'],
      ['an oversized body', (q) => q.type('form').send(`grant_type=client_credentials&pad=${'a'.repeat(20_000)}`), 413, 'invalid_request'],
    ];
    for (const [name, build, status, error] of refusals) {
      it(`refuses ${name}: ${status} ${error}, no token`, async () => {
        const r = securityReceiver();
        const res = await build(request(r.app).post('/oauth/ni/token'));
        expect(res.status).to.equal(status);
        expect(res.body.error).to.equal(error);
        expect(res.body).to.not.have.property('access_token');
        if (status === 401) expect(res.headers['www-authenticate']).to.match(/^Basic realm=/);
        expect(JSON.stringify(res.body)).to.not.include(NI_CLIENTS[1].clientSecret);
      });
    }

    it('answers GET with 405 and Allow: POST', async () => {
      const token = oauthTokenEndpoint({ clientId: 'a', clientSecret: 'b'.repeat(16) }, 'ni');
      const res = await request(express().all('/t', token)).get('/t');
      expect(res.status).to.equal(405);
      expect(res.headers.allow).to.equal('POST');
      expect(res.body.error).to.equal('invalid_request');
    });

    it('refuses weak or missing client credentials and bad ttls at start-up', () => {
      expect(() => niTokenEndpoint({})).to.throw(ConfigurationError);
      expect(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 'short' })).to.throw(ConfigurationError, /at least 16/);
      expect(() => niTokenEndpoint({ clientId: '', clientSecret: 'x'.repeat(20) })).to.throw(ConfigurationError);
      expect(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 'x'.repeat(20), ttl: 0 })).to.throw(ConfigurationError);
      expect(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 'x'.repeat(20), ttl: 1e9 })).to.throw(ConfigurationError);
      expect(() => niTokenEndpoint({ clientId: 'ni', clientSecret: 'a-secret-nobody-sees' })).to.not.throw();
      let message = '';
      try {
        niTokenEndpoint({ clientId: 'ni', clientSecret: 'leaky' });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).to.match(/ERR_NTW_OAUTH/).and.not.include('leaky');
    });
  });

  describe('the NI endpoint verifies the tokens issued', () => {
    it('accepts a token from either configured client (rotation)', async () => {
      const r = securityReceiver();
      for (const client of NI_CLIENTS) {
        const res = await post(r.app, 'ni', body, bearer(await niAccessToken(r.app, client)));
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
      }
      expect(r.recorder.count('deleted')).to.equal(1); // second delivery is a duplicate of the first
    });

    it('accepts the token up to its expiry and refuses it after (expired → 401)', async () => {
      const r = securityReceiver();
      const token = await niAccessToken(r.app);
      r.setClock(T0 + NI_TTL * 1000 + 1);
      await expectNiUnauthorized(r, await post(r.app, 'ni', body, bearer(token)));
      r.setClock(T0 + NI_TTL * 1000 - 1000);
      expect((await post(r.app, 'ni', body, bearer(token))).status).to.equal(200);
    });

    it('refuses a future-dated token (issued by a clock more than a minute ahead)', async () => {
      const r = securityReceiver();
      r.setClock(T0 + 10 * 60 * 1000);
      const token = await niAccessToken(r.app);
      r.setClock(T0);
      await expectNiUnauthorized(r, await post(r.app, 'ni', body, bearer(token)));
    });

    it('tolerates a small clock skew between instances', async () => {
      const r = securityReceiver();
      r.setClock(T0 + 30_000);
      const token = await niAccessToken(r.app);
      r.setClock(T0);
      expect((await post(r.app, 'ni', body, bearer(token))).status).to.equal(200);
    });

    it('another app instance with the same client credentials verifies tokens this one issued (stateless)', async () => {
      const issuer = securityReceiver();
      const token = await niAccessToken(issuer.app);
      const other = createTokenWebhooks({ pruneIntervalMs: false });
      const calls: unknown[] = [];
      other.onEvent((e) => { calls.push(e); });
      const app = express().use('/ni', other.ni({ auth: { oauth: { clients: NI_CLIENTS, now: () => T0 } } }));
      const res = await request(app).post('/ni').set({ 'content-type': 'application/json', authorization: `Bearer ${token}` }).send(body);
      expect(res.status).to.equal(200);
      expect(calls).to.have.length(1);
    });

    it('removing a client from the configuration revokes its tokens', async () => {
      const issuer = securityReceiver();
      const oldToken = await niAccessToken(issuer.app, NI_CLIENTS[0]);
      const rotated = createTokenWebhooks({ pruneIntervalMs: false });
      const app = express().use('/ni', rotated.ni({ auth: { oauth: { clients: [NI_CLIENTS[1]], now: () => T0 } } }));
      const res = await request(app).post('/ni').set({ 'content-type': 'application/json', authorization: `Bearer ${oldToken}` }).send(body);
      expect(res.status).to.equal(401);
    });

    const forged: Record<string, (token: string) => string | Promise<string>> = {
      'a token signed with an unknown key': (t) => forge(t, () => undefined),
      'a token whose claims were edited (longer expiry) without the key': (t) => {
        const [h, , s] = t.split('.');
        const p = Buffer.from(JSON.stringify({ exp: 9_999_999_999 })).toString('base64url');
        return `${h}.${p}.${s}`;
      },
      'an alg: none token': (t) => {
        const [, p] = t.split('.');
        return `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
      },
      'an HS512 header': (t) => forge(t, () => undefined, Buffer.alloc(32, 9), encodedHeader({ alg: 'HS512', typ: 'JWT' })),
      'a truncated signature': (t) => t.slice(0, -2),
      'two parts only': (t) => t.split('.').slice(0, 2).join('.'),
      'garbage': () => 'not-a-token',
      'a token for another audience, same credentials': () =>
        issue(oauthTokenEndpoint({ clients: NI_CLIENTS, now: () => T0 }, 'tokenex'), NI_CLIENTS[1]),
    };
    for (const [name, make] of Object.entries(forged)) {
      it(`401 for ${name}`, async () => {
        const r = securityReceiver();
        const token = await make(await niAccessToken(r.app));
        await expectNiUnauthorized(r, await post(r.app, 'ni', body, bearer(token)));
      });
    }

    it('verify() resolves true for an issued token and false for others', async () => {
      const r = securityReceiver();
      const token = await niAccessToken(r.app);
      expect(await r.niTokens.verify(token)).to.equal(true);
      const flipped = `${token.slice(0, -10)}${token.at(-10) === 'A' ? 'B' : 'A'}${token.slice(-9)}`; // not the last character: its low bits are padding
      expect(await r.niTokens.verify(flipped)).to.equal(false);
      expect(await r.niTokens.verify('not-a-token')).to.equal(false);
      r.setClock(T0 + NI_TTL * 1000);
      expect(await r.niTokens.verify(token)).to.equal(false);
    });

    it('accepts a verifier of its own in auth.oauth, synchronous or not', async () => {
      const good = 'a-token-my-own-verifier-knows';
      for (const verify of [(t: string) => t === good, async (t: string) => t === good]) {
        const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
        const app = express().use('/ni', webhooks.ni({ auth: { oauth: { verify } } }));
        const send = (token: string) => request(app).post('/ni').set({ 'content-type': 'application/json', authorization: `Bearer ${token}` }).send(body);
        expect((await send(good)).status).to.equal(200);
        expect((await send('another-token-0123456789')).status).to.equal(401);
      }
    });

    it('401 for a token from an endpoint with other client credentials (wrong secret)', async () => {
      const r = securityReceiver();
      const stranger = { clientId: NI_CLIENTS[1].clientId, clientSecret: 'a-different-secret-0123456789' };
      const token = await issue(oauthTokenEndpoint({ ...stranger, now: () => T0 }, 'ni'), stranger);
      await expectNiUnauthorized(r, await post(r.app, 'ni', body, bearer(token)));
    });
  });
});

describe('security: NI access tokens signed with the right key, refused for what they say', () => {
  /** The signing key the endpoint derives for NI_CLIENTS[1]: these tokens pass the signature check where it applies. */
  const key = clientCredentials({ clients: NI_CLIENTS }, 'ni').keys[1]!.key.export();
  const now = T0 / 1000;
  const cases: [string, (token: string) => string, string][] = [
    ['alg HS512 (signed with HMAC-SHA512)', (t) => forge(t, () => undefined, key, encodedHeader({ alg: 'HS512', typ: 'JWT' }), 'sha512'), 'algorithm not allowed'],
    ['alg RS256 (an HMAC under an RSA name: key confusion)', (t) => forge(t, () => undefined, key, encodedHeader({ alg: 'RS256', typ: 'JWT' })), 'algorithm not allowed'],
    ['alg none', (t) => `${encodedHeader({ alg: 'none', typ: 'JWT' })}.${t.split('.')[1]}.`, 'algorithm not allowed'],
    ['no alg', (t) => forge(t, () => undefined, key, encodedHeader({ typ: 'JWT' })), 'malformed'],
    ['a payload edited after signing', (t) => { const [h, , sig] = t.split('.'); return `${h}.${encodedHeader({ sub: NI_CLIENTS[1].clientId, exp: 9_999_999_999 })}.${sig}`; }, 'signature does not match'],
    ['another key', (t) => forge(t, () => undefined), 'signature does not match'],
    ['expired', (t) => forge(t, (c) => { c.iat = now - 700; c.exp = now - 100; }, key), 'expired'],
    ['expiring this very second', (t) => forge(t, (c) => { c.iat = now - 600; c.exp = now; }, key), 'expired'],
    ['issued more than the tolerance ahead', (t) => forge(t, (c) => { c.iat = now + 61; c.exp = now + 600; }, key), 'issued in the future'],
    ['not valid before an hour from now (nbf)', (t) => forge(t, (c) => { c.nbf = now + 3600; }, key), 'not yet valid'],
    ['another issuer', (t) => forge(t, (c) => { c.iss = 'someone-else'; }, key), 'wrong issuer'],
    ['another audience', (t) => forge(t, (c) => { c.aud = 'tokenex'; }, key), 'wrong audience'],
    ["the other client's subject", (t) => forge(t, (c) => { c.sub = NI_CLIENTS[0].clientId; }, key), 'wrong subject'],
    ['no expiry', (t) => forge(t, (c) => { delete c.exp; }, key), 'claims invalid'],
    ['an expiry that is not a number', (t) => forge(t, (c) => { c.exp = String(now + 600); }, key), 'claims invalid'],
    ['an expiry before its issue time', (t) => forge(t, (c) => { c.iat = now + 30; c.exp = now + 10; }, key), 'claims invalid'],
    ['a typ other than JWT', (t) => forge(t, () => undefined, key, encodedHeader({ alg: 'HS256', typ: 'at+jwt' })), 'claims invalid'],
    ['a critical header extension', (t) => forge(t, () => undefined, key, encodedHeader({ alg: 'HS256', typ: 'JWT', crit: ['exp'] })), 'malformed'],
    ['three dots', (t) => `${t}.`, 'malformed'],
    ['a signed payload that is not JSON', (t) => { const input = `${t.split('.')[0]}.${Buffer.from('not json').toString('base64url')}`; return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`; }, 'malformed'],
  ];

  it('the unedited token passes (the forging is sound)', async () => {
    const r = securityReceiver();
    const token = forge(await niAccessToken(r.app), () => undefined, key);
    expect((await post(r.app, 'ni', body, bearer(token))).status).to.equal(200);
  });

  for (const [name, make, reason] of cases) {
    it(`401 for ${name}; DEBUG says "${reason}", the answer does not`, async () => {
      const r = securityReceiver();
      const token = make(await niAccessToken(r.app));
      const capture = captureDebug();
      let res: Response;
      try {
        res = await post(r.app, 'ni', body, bearer(token));
      } finally {
        capture.restore();
      }
      await expectNiUnauthorized(r, res);
      expect(capture.lines.filter((l) => l.includes('ni() refused'))).to.have.length(1);
      expect(capture.lines.join('\n')).to.include(`ni() refused: the bearer token matches no secret and no issued token (${reason})`);
      expect(JSON.stringify(res.body) + JSON.stringify(res.headers)).to.not.include(reason);
    });
  }
});

/** Ask a token endpoint (mounted on its own app) for a token with form credentials. */
async function issue(endpoint: ReturnType<typeof oauthTokenEndpoint>, client: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await request(express().post('/t', endpoint)).post('/t').type('form')
    .send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
  expect(res.status).to.equal(200);
  return res.body.access_token as string;
}
