import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import Ajv from 'ajv';
import express from 'express';
import { builtinProviders, createTokenWebhooks, niTokenEndpoint } from '../../lib';
import type { TokenEvent } from '../../lib';
import { buildPayload, niAccessToken } from '../../lib/testing';
import { cli, ROOT, shell } from './support';

// What a shell would mangle unquoted: a leading ~ (a bearer takes no quote or space), a quote and a command
// substitution (in the Firstoken key, the file's path), & and ? (in the URL).
const BEARER = '~bearer-secret_0123.+/abc==';
const CYBERSOURCE = { keyId: 'key-1', key: Buffer.alloc(32, 7).toString('base64') };
const FIRSTOKEN_KEY = "firstoken key with 'quotes'";
const NI_CLIENT = { clientId: 'ni-cli', clientSecret: 'ni-cli-client-secret-0123' };

/** A loopback port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((closed) => probe.close(closed));
  return port;
}

describe('the sender CLI: what it prints', function () {
  this.timeout(120_000);
  let server: Server;
  let url = '';
  let requests = 0;
  const events: TokenEvent[] = [];
  const dir = mkdtempSync(join(tmpdir(), `ntw-cli-it's $(x) `));
  const file = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };

  before(async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
    webhooks.onEvent((event) => { events.push(event); });
    const tokens = niTokenEndpoint(NI_CLIENT);
    const app = express();
    app.use((_req, _res, next) => { requests++; next(); });
    app.post('/oauth/ni/token', tokens);
    app.use('/webhooks/cybersource', webhooks.cybersource({ keys: { [CYBERSOURCE.keyId]: CYBERSOURCE.key } }));
    app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
    app.use('/webhooks/ni', webhooks.ni({ auth: { oauth: tokens } }));
    app.use('/webhooks/firstoken', webhooks.firstoken({ auth: { signingKeys: FIRSTOKEN_KEY } }));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Asserts the run neither printed nor contained a secret. */
  const noSecret = (run: { stdout: string; stderr: string }, ...secrets: string[]) => {
    for (const secret of secrets) expect(run.stdout + run.stderr).not.to.include(secret);
  };

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = await cli(['--version']);
    expect([run.code, run.stdout, run.stderr]).to.deep.equal([0, `${version}\n`, '']);
  });

  it('--url (and --token-url, sign --curl) without a scheme: says it must be an absolute http(s) URL', async () => {
    const hint = 'must be an absolute http(s) URL, like http://127.0.0.1:3000/webhooks/tokenex';
    for (const bad of ['127.0.0.1:3000/webhooks/tokenex', 'localhost:3000/webhooks/tokenex', 'ftp://127.0.0.1/webhooks/tokenex']) {
      const run = await cli(['send', 'tokenex', 'active', '--url', bad, '--bearer', BEARER]);
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr).to.equal(`error: option '--url <url>' argument '${bad}' is invalid. ${hint}\n`);
      expect(run.stdout).to.equal('');
    }
    const token = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', 'a:b', '--token-url', '127.0.0.1/oauth/ni/token']);
    expect([token.code, token.stderr]).to.deep.equal([1, `error: option '--token-url <url>' argument '127.0.0.1/oauth/ni/token' is invalid. ${hint}\n`]);
    const curl = await cli(['sign', 'tokenex', '--file', file('x.json', '{}'), '--bearer', 'b', '--curl', 'localhost:3000/webhooks/tokenex']);
    expect([curl.code, curl.stdout]).to.deep.equal([1, '']);
    expect(curl.stderr).to.equal(`error: option '--curl <url>' argument 'localhost:3000/webhooks/tokenex' is invalid. ${hint}\n`);
  });

  it('Cybersource: --key without --key-id (or the reverse) is an error before anything is sent', async () => {
    const before = requests;
    const keyOnly = await cli(['send', 'cybersource', 'active', '--url', `${url}/webhooks/cybersource`, '--key', CYBERSOURCE.key]);
    expect([keyOnly.code, keyOnly.stdout]).to.deep.equal([1, '']);
    expect(keyOnly.stderr).to.equal('error: cybersource signs with a key id and its key: --key needs --key-id <id>, the id the key has in cybersource({ keys })\n');
    const idOnly = await cli(['send', 'cybersource', 'active', '--url', `${url}/webhooks/cybersource`, '--key-id', 'key-1']);
    expect([idOnly.code, idOnly.stdout]).to.deep.equal([1, '']);
    expect(idOnly.stderr).to.equal('error: cybersource signs with a key id and its key: --key-id needs --key <base64 key>\n');
    const sign = await cli(['sign', 'cybersource', '--file', file('c.json', '{}'), '--key', CYBERSOURCE.key]);
    expect([sign.code, sign.stdout, sign.stderr]).to.deep.equal([1, '', keyOnly.stderr]);
    expect(requests).to.equal(before);
    noSecret(keyOnly, CYBERSOURCE.key);
  });

  it('a credential flag the provider does not take is an error, naming what it takes', async () => {
    const before = requests;
    const key = await cli(['send', 'tokenex', 'active', '--url', `${url}/webhooks/tokenex`, '--key', 'k']);
    expect([key.code, key.stdout, key.stderr]).to.deep.equal([1, '', 'error: tokenex takes no --key: it takes --bearer <secret>, one of tokenex({ auth: { bearer } })\n']);
    const client = await cli(['send', 'firstoken', 'active', '--url', `${url}/webhooks/firstoken`, '--ni-client', 'a:b', '--token-url', `${url}/oauth/ni/token`]);
    expect(client.code).to.equal(1);
    expect(client.stderr).to.equal('error: firstoken takes no --ni-client: it takes --key <Webhook Key> (firstoken({ auth: { signingKeys } })) or --bearer <secret> (one of firstoken({ auth: { bearer } }))\n');
    const half = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', 'a:b']);
    expect([half.code, half.stderr]).to.deep.equal([1, 'error: --ni-client needs --token-url <url>, the token endpoint to obtain an access token from\n']);
    const otherHalf = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--token-url', `${url}/oauth/ni/token`]);
    expect([otherHalf.code, otherHalf.stderr]).to.deep.equal([1, 'error: --token-url needs --ni-client <id>:<secret>, the client to obtain an access token as\n']);
    const both = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', 'a:b', '--token-url', `${url}/oauth/ni/token`, '--bearer', 'x']);
    expect([both.code, both.stderr]).to.deep.equal([1, "error: option '--ni-client <id:secret>' cannot be used with option '--bearer <secret>'\n"]);
    expect(requests).to.equal(before);
  });

  it('a 401 prints which credentials were given and what the provider takes, never the secret', async () => {
    const wrong = await cli(['send', 'tokenex', 'active', '--url', `${url}/webhooks/tokenex`, '--bearer', 'a-wrong-secret-0123']);
    expect(wrong.code).to.equal(1);
    expect(wrong.stdout).to.match(/^#1 401 refused unauthorized$/m);
    expect(wrong.stderr).to.equal('hint: 401: the receiver refused the credentials given (--bearer); tokenex takes --bearer <secret>, one of tokenex({ auth: { bearer } })\n');
    noSecret(wrong, 'a-wrong-secret-0123');
    const none = await cli(['send', 'firstoken', 'active', '--url', `${url}/webhooks/firstoken`]);
    expect(none.stdout).to.match(/^#1 401 refused unauthorized$/m);
    expect(none.stderr).to.equal('hint: 401: no credentials were given; firstoken takes --key <Webhook Key> (firstoken({ auth: { signingKeys } })) or --bearer <secret> (one of firstoken({ auth: { bearer } }))\n');
    const cybersource = await cli(['send', 'cybersource', 'active', '--url', `${url}/webhooks/cybersource`, '--key-id', 'key-2', '--key', Buffer.alloc(32, 8).toString('base64')]);
    expect(cybersource.stderr).to.equal('hint: 401: the receiver refused the credentials given (--key-id key-2 --key); cybersource takes --key-id <id> --key <base64 key>, a key of cybersource({ keys })\n');
    noSecret(cybersource, Buffer.alloc(32, 8).toString('base64'));
  });

  it('a 404 prints "(no code)" and asks whether the endpoint is mounted at that path', async () => {
    const run = await cli(['send', 'tokenex', 'active', '--url', `${url}/hooks/tokenex`, '--bearer', BEARER, '--repeat', '2']);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^#1 404 refused \(no code\)$/m).and.match(/^#2 404 refused \(no code\)$/m).and.match(/^sent 2; 404: 2;/m);
    expect(run.stderr).to.equal(`hint: 404 from ${url}/hooks/tokenex: is the endpoint mounted at this path?\n`);
  });

  it('a --file that cannot be read, and a receiver that is not there, say so', async () => {
    const missing = await cli(['send', 'tokenex', 'active', '--url', `${url}/webhooks/tokenex`, '--bearer', BEARER, '--file', join(dir, 'none.json')]);
    expect([missing.code, missing.stdout, missing.stderr]).to.deep.equal([1, '', `error: cannot read --file ${join(dir, 'none.json')}: no such file\n`]);
    const sign = await cli(['sign', 'tokenex', '--bearer', BEARER, '--file', dir]);
    expect([sign.code, sign.stdout, sign.stderr]).to.deep.equal([1, '', `error: cannot read --file ${dir}: a directory\n`]);
    const closed = await closedPort();
    const nobody = await cli(['send', 'tokenex', 'active', '--url', `http://127.0.0.1:${closed}/webhooks/tokenex`, '--bearer', BEARER]);
    expect(nobody.code).to.equal(1);
    expect(nobody.stdout).to.match(new RegExp(`^#1 error fetch failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${closed}\\)$`, 'm')).and.match(/^sent 1; error: 1;/m);
    const noTokens = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', 'a:b', '--token-url', `http://127.0.0.1:${closed}/oauth/ni/token`]);
    expect([noTokens.code, noTokens.stderr]).to.deep.equal([1, `error: cannot reach the token endpoint http://127.0.0.1:${closed}/oauth/ni/token: fetch failed (connect ECONNREFUSED 127.0.0.1:${closed})\n`]);
  });

  it('NI: each answer names the event id sent, and a repeat of it is a duplicate', async () => {
    const body = file('ni.json', JSON.stringify(buildPayload('ni', 'deleted', { id: 'evt-ni-cli-0001' })));
    const run = await cli(['send', 'ni', 'deleted', '--url', `${url}/webhooks/ni`, '--file', body, '--repeat', '2',
      '--ni-client', `${NI_CLIENT.clientId}:${NI_CLIENT.clientSecret}`, '--token-url', `${url}/oauth/ni/token`]);
    expect(run.code, run.stdout + run.stderr).to.equal(0);
    expect(run.stdout).to.match(/^#1 200 accepted id=evt-ni-cli-0001\n#2 200 accepted \(duplicate\) id=evt-ni-cli-0001\nsent 2; 200: 2;/);
    expect(events.filter((event) => event.id === 'evt-ni-cli-0001')).to.have.length(1);
  });

  it('NI: a token endpoint that refuses the client, or is not there, says which and what to check', async () => {
    const refused = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', `${NI_CLIENT.clientId}:a-wrong-client-secret-99`, '--token-url', `${url}/oauth/ni/token`]);
    expect([refused.code, refused.stdout]).to.deep.equal([1, '']);
    expect(refused.stderr).to.equal(`error: the token endpoint ${url}/oauth/ni/token answered 401 invalid_client: is --ni-client <id>:<secret> the client of niTokenEndpoint()?\n`);
    noSecret(refused, 'a-wrong-client-secret-99');
    const missing = await cli(['send', 'ni', 'active', '--url', `${url}/webhooks/ni`, '--ni-client', 'a:b', '--token-url', `${url}/oauth/token`]);
    expect(missing.stderr).to.equal(`error: the token endpoint ${url}/oauth/token answered 404 (no code): is niTokenEndpoint() mounted at this path?\n`);
  });

  it('sign without the credentials the provider needs exits non-zero and names them', async () => {
    const body = file('s.json', '{}');
    const expected: Record<string, string> = {
      tokenex: 'error: sign tokenex needs --bearer <secret>, one of tokenex({ auth: { bearer } })\n',
      cybersource: 'error: sign cybersource needs --key-id <id> --key <base64 key>, a key of cybersource({ keys })\n',
      firstoken: 'error: sign firstoken needs --key <Webhook Key> (firstoken({ auth: { signingKeys } })) or --bearer <secret> (one of firstoken({ auth: { bearer } }))\n',
      ni: 'error: sign ni needs --bearer <token>: an access token from niTokenEndpoint(), or one of ni({ auth: { bearer } })\n',
    };
    for (const [provider, message] of Object.entries(expected)) {
      const run = await cli(['sign', provider, '--file', body]);
      expect([run.code, run.stdout, run.stderr], provider).to.deep.equal([1, '', message]);
    }
    const key = await cli(['sign', 'ni', '--file', body, '--key', 'k']);
    expect([key.code, key.stdout, key.stderr]).to.deep.equal([1, '', 'error: ni takes no --key: it takes --bearer <token>: an access token from niTokenEndpoint(), or one of ni({ auth: { bearer } })\n']);
  });

  it('sign --curl prints one curl command that a shell runs as printed, whatever the secret and the path hold', async () => {
    const token = await niAccessToken(url, NI_CLIENT);
    const payloads = {
      ni: { flags: ['--bearer', token], body: buildPayload('ni', 'active') },
      tokenex: { flags: ['--bearer', BEARER], body: buildPayload('tokenex', 'suspended') },
      cybersource: { flags: ['--key-id', CYBERSOURCE.keyId, '--key', CYBERSOURCE.key], body: buildPayload('cybersource', 'deleted') },
      firstoken: { flags: ['--key', FIRSTOKEN_KEY], body: buildPayload('firstoken', 'active') },
    };
    for (const [provider, { flags, body }] of Object.entries(payloads)) {
      const path = file(`${provider} it's $(touch pwned).json`, `${JSON.stringify(body, null, 2)}\n`);
      const run = await cli(['sign', provider, '--file', path, ...flags, '--curl', `${url}/webhooks/${provider}?a=1&touch=pwned`]);
      expect([run.code, run.stderr], provider).to.deep.equal([0, '']);
      expect(run.stdout.split('\n'), run.stdout).to.have.length(2); // one line
      expect(run.stdout).to.match(/^curl /);
      const sent = await shell(run.stdout, dir);
      expect(sent.code, sent.stderr).to.equal(0);
      expect(sent.stdout, provider).to.match(/^HTTP\/1\.1 200 /).and.match(/^ntw-outcome: accepted\r$/m).and.match(/"received":true|"description":"successful"/);
    }
    expect(existsSync(join(dir, 'pwned')) || existsSync(join(ROOT, 'pwned'))).to.equal(false);
  });

  it('sign prints -H arguments that a shell reads back as the same headers', async () => {
    const body = JSON.stringify(buildPayload('tokenex', 'deleted'));
    const path = file('plain.json', body);
    const run = await cli(['sign', 'tokenex', '--file', path, '--bearer', BEARER]);
    expect(run.code).to.equal(0);
    const sent = await shell(`curl -sS -i ${run.stdout.trim().split('\n').join(' ')} --data-binary @plain.json ${url}/webhooks/tokenex`, dir);
    expect(sent.stdout).to.match(/^HTTP\/1\.1 200 /).and.match(/"received":true/);
  });

  it('payload <provider> <kind> prints a body valid for the provider, or says the provider sends no such kind', async () => {
    for (const [provider, kind] of [['tokenex', 'active'], ['cybersource', 'suspended'], ['ni', 'activation_code'], ['firstoken', 'deleted']] as const) {
      const run = await cli(['payload', provider, kind]);
      expect([run.code, run.stderr]).to.deep.equal([0, '']);
      const validate = new Ajv({ strict: false }).compile(builtinProviders[provider].schema);
      expect(validate(JSON.parse(run.stdout)), `${provider} ${kind}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
    const unsupported = await cli(['payload', 'tokenex', 'activation_code']);
    expect([unsupported.code, unsupported.stdout, unsupported.stderr]).to.deep.equal([1, '', 'error: tokenex sends no "activation_code" notification\n']);
  });
});
