import { request as httpRequest, createServer, Agent } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { descriptor } from '../providers/descriptors';
import fc from 'fast-check';
import Ajv from 'ajv';
import { DELIVERY_ERRORS } from '../../lib';
import { fixtures } from '../helpers/fixtures';
import { PROVIDERS, niAccessToken, rejectionCode, securityReceiver, validHeaders } from './support';
import type { ProviderName, SecurityReceiver } from './support';

/** Runs per provider: each run is one request with a mutated or random body and headers. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
/** A failure prints fast-check's seed and path: `FUZZ_SEED=<seed> FUZZ_PATH=<path>` replays that run. */
const REPLAY = process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED), path: process.env.FUZZ_PATH } : {};

type AuthMode = 'valid' | 'mutated' | 'random' | 'none';

interface Delivery {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
  readonly auth: AuthMode;
  readonly authValue: string;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function send(port: number, path: string, d: Delivery, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const all: Record<string, string> = { ...headers, 'content-length': String(d.body.length) };
    if (d.contentType !== undefined) all['content-type'] = d.contentType;
    const req = httpRequest({ host: '127.0.0.1', port, path, method: d.method, headers: all, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = text; }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end(d.body);
  });
}

/** Printable Latin-1: what an HTTP header value may carry. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength });

const CONTENT_TYPES = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(
    'application/json; charset=utf-8', 'application/json; charset=UTF-16', 'application/json; charset=latin1',
    'text/plain', 'application/x-www-form-urlencoded', 'application/cloudevents+json', 'application/json;;', '',
  ) },
  { weight: 1, arbitrary: headerText(40) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Ways to break a JSON document while keeping (or not) its shape. */
function jsonMutation(text: string): fc.Arbitrary<string> {
  const payload = (): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
  const paths = (value: unknown, prefix: string[] = []): string[][] =>
    value !== null && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])])
      : [];
  const all = paths(payload());
  const setAt = (path: string[], edit: (parent: Record<string, unknown>, key: string) => void) => {
    const copy = payload();
    let node: Record<string, unknown> = copy;
    for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
    edit(node, path[path.length - 1]!);
    return JSON.stringify(copy);
  };
  return fc.oneof(
    // a field replaced by any JSON value, or removed
    fc.tuple(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 3 })).map(([p, v]) => setAt(p, (o, k) => { o[k] = v; })),
    fc.constantFrom(...all).map((p) => setAt(p, (o, k) => { delete o[k]; })),
    // prototype keys at any depth
    fc.tuple(fc.constantFrom(...all), fc.constantFrom('__proto__', 'constructor', 'prototype')).map(([p, key]) =>
      text.replace(`"${p[p.length - 1]}"`, `"${key}":{"prototype":{"polluted":true},"isAdmin":true},"${p[p.length - 1]}"`)),
    // a repeated key: the same field twice with another value
    fc.tuple(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 1 })).map(([p, v]) =>
      text.replace(`"${p[p.length - 1]}"`, `"${p[p.length - 1]}":${JSON.stringify(v)},"${p[p.length - 1]}"`)),
    // hostile shapes: deep nesting, huge arrays, huge strings
    fc.integer({ min: 20, max: 5000 }).map((n) => `{"deep":${'['.repeat(n)}${']'.repeat(n)},${text.slice(1)}`),
    fc.integer({ min: 500, max: 30_000 }).map((n) => `{"list":[${'1,'.repeat(n)}1],${text.slice(1)}`),
    fc.integer({ min: 1000, max: 70_000 }).map((n) => `{"pad":"${'x'.repeat(n)}",${text.slice(1)}`),
    // encodings: BOM, UTF-16
    fc.constant(`\uFEFF${text}`),
  );
}

function byteMutation(bytes: Buffer): fc.Arbitrary<Buffer> {
  return fc.oneof(
    fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, b]) => { const c = Buffer.from(bytes); c[i] = b; return c; }),
    fc.nat(bytes.length).map((i) => bytes.subarray(0, i)),
    fc.tuple(fc.nat(bytes.length), fc.uint8Array({ maxLength: 16 })).map(([i, ins]) =>
      Buffer.concat([bytes.subarray(0, i), Buffer.from(ins), bytes.subarray(i)])),
    fc.constant(Buffer.from(bytes.toString('utf8'), 'utf16le')),
    fc.constant(Buffer.from([0xfe, 0xff, ...Buffer.from(bytes.toString('utf8'), 'utf16le').swap16()])),
  );
}

function bodies(provider: ProviderName): fc.Arbitrary<Buffer> {
  const texts = fixtures(provider).map((f) => f.text);
  const mutated = fc.constantFrom(...texts).chain((t) => fc.oneof(
    { weight: 3, arbitrary: jsonMutation(t).map((s) => Buffer.from(s, 'utf8')) },
    { weight: 2, arbitrary: byteMutation(Buffer.from(t, 'utf8')) },
    { weight: 1, arbitrary: fc.constant(Buffer.from(t, 'utf8')) },
  ));
  return fc.oneof(
    { weight: 6, arbitrary: mutated },
    { weight: 1, arbitrary: fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s, 'utf8')) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  );
}

function deliveries(provider: ProviderName): fc.Arbitrary<Delivery> {
  return fc.record({
    method: fc.oneof({ weight: 20, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET') }),
    contentType: CONTENT_TYPES,
    body: bodies(provider),
    auth: fc.constantFrom<AuthMode>('valid', 'valid', 'valid', 'mutated', 'random', 'none'),
    authValue: headerText(120),
  });
}

/** An access token of a provider's token endpoint, accepted besides its static credentials. */
interface IssuedToken {
  readonly provider: ProviderName;
  readonly token: string;
}

/**
 * The credentials a run sends: valid over its exact bytes, a valid set with one character of its credential
 * header changed, random, or none.
 */
function credentials(provider: ProviderName, d: Delivery, niToken: IssuedToken, mutateAt: number): Record<string, string> {
  const name = descriptor(provider).credentialHeader;
  if (d.auth === 'none') return {};
  if (d.auth === 'random') return { [name]: d.authValue };
  // NI also takes the access tokens of its token endpoint: half the runs use one.
  const valid = niToken.provider === provider && mutateAt % 2 === 0 ? { [name]: `Bearer ${niToken.token}` } : validHeaders(provider, d.body);
  const value = valid[name]!;
  if (d.auth === 'valid') return valid;
  const i = mutateAt % value.length;
  const changed = value.charCodeAt(i) === 0x41 ? 'B' : 'A';
  return { ...valid, [name]: value.slice(0, i) + changed + value.slice(i + 1) };
}

const schemaValidators = Object.fromEntries(PROVIDERS.map((p) => {
  const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', `${p}.schema.json`), 'utf8')) as object;
  return [p, new Ajv({ strict: false }).compile(schema)];
})) as unknown as Record<ProviderName, (v: unknown) => boolean>;

describe('security: fuzzing every provider endpoint through the real middleware', function () {
  this.timeout(120_000);
  let receiver: SecurityReceiver;
  let server: Server;
  let port: number;
  let niToken: IssuedToken;
  /** Errors `onError` received during the current provider's runs. */
  let reported: unknown[] = [];
  const stats: Record<string, { runs: number; ms: number; statuses: Record<number, number>; codes: Record<string, number> }> = {};

  before(async () => {
    receiver = securityReceiver();
    // Library faults only: a conflicting duplicate (a mutated body under an id already seen) is the sender's doing, reported by design.
    receiver.webhooks.onError((e) => { if ((e as { code?: string }).code !== 'ERR_NTW_CONFLICTING_DUPLICATE') reported.push(e); });
    niToken = { provider: 'ni', token: await niAccessToken(receiver.app) };
    server = createServer(receiver.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    agent.destroy();
    await new Promise((resolve) => server.close(resolve));
    if (process.env.FUZZ_STATS) process.stdout.write(`${JSON.stringify(stats)}\n`);
  });

  for (const provider of PROVIDERS) {
    it(`${provider}: ${RUNS} hostile deliveries: no crash, no 5xx, documented codes, no handler call for invalid input`, async () => {
      const started = Date.now();
      reported = [];
      const statuses: Record<number, number> = {};
      const codes: Record<string, number> = {};
      await fc.assert(
        fc.asyncProperty(deliveries(provider), fc.nat(), async (d, mutateAt) => {
          const before = receiver.recorder.calls.length;
          const res = await send(port, `/webhooks/${provider}`, d, credentials(provider, d, niToken, mutateAt));
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          const handled = receiver.recorder.calls.length - before;

          expect(res.status, JSON.stringify(res.body)).to.be.below(500);
          if (descriptor(provider).healthCheck && (d.method === 'GET' || (d.method === 'POST' && d.body.length === 0))) {
            expect(res.status).to.equal(200);
            expect(handled).to.equal(0);
            return;
          }
          if (res.status !== 200) {
            const code = rejectionCode(provider, { body: res.body } as never);
            expect(code, JSON.stringify(res.body)).to.be.a('string');
            codes[code!] = (codes[code!] ?? 0) + 1;
            const documented = DELIVERY_ERRORS[code as keyof typeof DELIVERY_ERRORS];
            expect(documented, `undocumented code ${code}`).to.not.equal(undefined);
            expect(documented.status).to.equal(res.status);
            expect(handled, 'a handler ran for a rejected delivery').to.equal(0);
          }
          if (d.auth === 'none' || d.auth === 'random') {
            expect([401, 405, 413, 415]).to.include(res.status);
          }
          if (handled > 0) {
            // Whatever reached a handler was authentic, valid JSON without repeated keys, and matches the schema.
            expect(d.auth === 'valid' || d.auth === 'mutated').to.equal(true);
            const value = JSON.parse(d.body.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
            expect(schemaValidators[provider](value), 'schema').to.equal(true);
          }
          expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
          expect(({} as Record<string, unknown>).isAdmin).to.equal(undefined);
        }),
        { numRuns: RUNS, ...REPLAY },
      );
      stats[provider] = { runs: RUNS, ms: Date.now() - started, statuses, codes };
      expect(reported.map((e) => `${(e as { code?: string }).code}: ${(e as Error).message}`), 'errors reported to onError (library faults)').to.deep.equal([]);
      // Every documented outcome was exercised, not only one kind of rejection.
      expect(statuses[200] ?? 0, 'some deliveries accepted').to.be.above(0);
      expect(statuses[401] ?? 0, 'some deliveries unauthorized').to.be.above(0);
      // The generators reach every hostile-JSON defence behind authentication, not only the first checks.
      if (RUNS >= 1000) {
        for (const code of ['invalid_json', 'duplicate_json_key', 'forbidden_json_key', 'json_too_deep', 'json_array_too_long', 'schema_violation', 'payload_too_large', 'unsupported_media_type', 'unauthorized']) {
          expect(codes[code] ?? 0, `${code} exercised`).to.be.above(0);
        }
      }
    });
  }
});
