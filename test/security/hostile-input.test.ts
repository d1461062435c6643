import { expect } from 'chai';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import express from 'express';
import request from 'supertest';
import { MemoryStorage, ReportedError, redactText } from '../../lib';
import type { InboxTokenWebhooks, Storage } from '../../lib';
import { cybersourceSignatureAuthenticator } from '../../lib/providers/cybersource-signature';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { BEARER, TEST_CREDENTIALS, deliver, testReceiver } from '../helpers/app';
import { edited, fixture } from '../helpers/fixtures';
import { eventually, listen, port, tokenexBody } from '../delivery/support';
import { cybersourceSignature } from '../providers/descriptor';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';

/** The same delivery on every adapter where storage is involved. */
function onEveryAdapter(run: (makeStorage: () => Storage) => void): void {
  describe('MemoryStorage', () => run(() => new MemoryStorage()));
  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    const schemas: string[] = [];
    after(async () => { for (const s of schemas) await dropSchema(s).catch(() => undefined); });
    run(() => { const schema = uniqueName('ntw_hostile_'); schemas.push(schema); return new PostgresStorage({ connectionString: DATABASE_URL, schema }); });
  });
  describe('Redis', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    const prefixes: string[] = [];
    after(async () => { for (const p of prefixes) await deleteKeys(p).catch(() => undefined); });
    run(() => { const keyPrefix = `${uniqueName('ntw-hostile:')}:`; prefixes.push(keyPrefix); return new RedisStorage({ url: REDIS_URL, keyPrefix }); });
  });
}

describe('hostile input: ids that collide or cannot be stored', () => {
  onEveryAdapter((makeStorage) => {
    it('refuses ids and token references with unpaired surrogates or control characters (400 unstorable_id), before anything is stored', async () => {
      const { app, webhooks, recorder } = testReceiver({ storage: makeStorage() });
      for (const [id, tokenRef] of [['r1\ud800', 'tok-a'], ['r1\udfff', 'tok-b'], ['r2\u0000', 'tok-c'], ['ok-id', 'tok\u0000'], ['ok-id-2', 'tok\udc00'], ['line\nbreak', 'tok-d']]) {
        const res = await deliver(app, 'tokenex', tokenexBody({ id: id!, tokenRef: tokenRef!, state: 'DELETED' }));
        expect([res.status, res.body.error?.code], JSON.stringify(id)).to.deep.equal([400, 'unstorable_id']);
      }
      expect(recorder.calls).to.have.length(0);
      expect(await webhooks.listEvents()).to.have.length(0);
      // Ids with quotes, %, *, {}, :, \, emoji are stored as they are and stay distinct.
      for (const id of ['r1"', 'r1%', 'r1%25', 'r1*', 'r1{}', 'r1:x', 'r1\\', 'r1💳', 'r1\u00e9', 'r1e\u0301']) {
        expect((await deliver(app, 'tokenex', tokenexBody({ id, tokenRef: `t-${id}` }))).body.duplicate, JSON.stringify(id)).to.equal(false);
      }
      expect(recorder.count('event')).to.equal(10);
      await webhooks.close();
    });

    it('acknowledges a copy with the same id and another meaning without running it, reports it and counts it', async () => {
      const { app, webhooks, recorder } = testReceiver({ storage: makeStorage() });
      const errors: unknown[] = [];
      webhooks.onError((e) => { errors.push(e); });
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'same-id', tokenRef: 'tok-1', state: 'ACTIVE' }))).status).to.equal(200);
      const conflicting = await deliver(app, 'tokenex', tokenexBody({ id: 'same-id', tokenRef: 'tok-2', state: 'DELETED' }));
      expect([conflicting.status, conflicting.body.duplicate]).to.deep.equal([200, true]);
      expect(recorder.count('deleted')).to.equal(0);
      expect(errors).to.have.length(1);
      expect((errors[0] as ReportedError).code).to.equal('ERR_NTW_CONFLICTING_DUPLICATE');
      const [entry] = await webhooks.listEvents({ provider: 'tokenex' });
      expect([entry!.conflicts, entry!.tokenRef, entry!.state]).to.deep.equal([1, 'tok-1', 'ACTIVE']);
      expect((await webhooks.getTokenState('tokenex', 'tok-2'))).to.equal(undefined);
      // A retry that only changes the envelope (Cybersource's transactionTraceId and retryNumber) is a plain duplicate.
      const first = fixture('cybersource', 'network-token-suspended').text;
      const retry = edited('cybersource', 'network-token-suspended', (p) => { p.transactionTraceId = 'another-trace'; p.retryNumber = 2; });
      await deliver(app, 'cybersource', first).expect(200);
      expect((await deliver(app, 'cybersource', retry)).body.duplicate).to.equal(true);
      expect(errors).to.have.length(1);
      await webhooks.close();
    });
  });
});

describe('hostile input: Content-Encoding', () => {
  const body = fixture('cybersource', 'network-token-suspended').text;
  const signed = (raw: string) => ({ 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(raw, TEST_CREDENTIALS.cybersource) });

  for (const [coding, encode] of [['gzip', gzipSync], ['deflate', deflateSync], ['deflate (raw)', deflateRawSync], ['br', brotliCompressSync]] as const) {
    it(`decodes a ${coding} body, verifying the signature over the JSON the provider signed`, async () => {
      const { app, recorder } = testReceiver();
      const res = await request(app).post('/webhooks/cybersource').set({ ...signed(body), 'content-encoding': coding.split(' ')[0]! })
        .serialize((data) => data as string).send(encode(Buffer.from(body)) as unknown as string);
      expect(res.status, res.text).to.equal(200);
      expect(recorder.count('suspended')).to.equal(1);
    });
  }

  it('refuses a decompression bomb with 413 once the decoded bytes pass the limit, not after inflating it all', async () => {
    const { app } = testReceiver();
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20)); // 200 MiB of spaces, about 200 KiB compressed
    expect(bomb.length).to.be.below(64 * 1024 * 4);
    const res = await request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${BEARER}` })
      .serialize((data) => data as string).send(gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20)) as unknown as string);
    expect([res.status, res.body.error.code]).to.deep.equal([413, 'payload_too_large']);
  });

  it('refuses other codings, and several, with 415 unsupported_content_encoding', async () => {
    const { app } = testReceiver();
    for (const coding of ['compress', 'zstd', 'gzip, br']) {
      const res = await request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json', 'content-encoding': coding, authorization: `Bearer ${BEARER}` })
        .send(tokenexBody({ id: `enc-${coding}` }));
      expect([res.status, res.body.error.code], coding).to.deep.equal([415, 'unsupported_content_encoding']);
    }
  });
});

describe('hostile input: slow and unread bodies', () => {
  let server: Server;
  afterEach(() => server?.close());

  it('answers a body trickled slower than bodyTimeoutMs with 408 body_timeout and closes it; many such sockets do not hold up normal deliveries', async function () {
    this.timeout(30_000);
    const webhooks = testReceiver().webhooks;
    const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER }, bodyTimeoutMs: 1500 }));
    server = await listen(app);
    const answers: string[] = [];
    const sockets = Array.from({ length: 200 }, () => {
      const socket = connect(port(server), '127.0.0.1');
      socket.write(`POST /webhooks/tokenex HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${BEARER}\r\nContent-Length: 1000\r\n\r\n{`);
      const trickle = setInterval(() => socket.write(' '), 300);
      let text = '';
      socket.on('data', (chunk) => { text += chunk.toString('latin1'); });
      socket.on('close', () => { clearInterval(trickle); answers.push(text); });
      socket.on('error', () => clearInterval(trickle));
      return socket;
    });
    const normal = await Promise.all(Array.from({ length: 20 }, (_, i) => request(server).post('/webhooks/tokenex')
      .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(tokenexBody({ id: `prompt-${i}` }))));
    expect(normal.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(answers.length, 'the slow sockets are still waiting while normal deliveries are answered').to.be.below(200);
    await eventually(() => answers.length === 200, 15_000, 'every slow socket to be answered and closed');
    expect(answers.every((a) => a.startsWith('HTTP/1.1 408') && a.includes('body_timeout'))).to.equal(true);
    for (const s of sockets) s.destroy();
  });

  it('closes a connection whose unread body is large instead of draining it (a refusal before the body is read)', async function () {
    const webhooks = testReceiver().webhooks;
    server = await listen(express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } })));
    const socket = connect(port(server), '127.0.0.1');
    socket.write('POST /webhooks/tokenex HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 10737418240\r\n\r\n');
    let sent = 0;
    let answer = '';
    let closed = false;
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('close', () => { closed = true; });
    socket.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => { while (!closed && socket.write(chunk)) { sent += chunk.length; if (sent > 64 * 1024 * 1024) return; } };
    socket.on('drain', pump);
    pump();
    await eventually(() => closed, 10_000, 'the server to close the connection');
    expect(answer).to.match(/^HTTP\/1\.1 415/);
    expect(answer.toLowerCase()).to.include('connection: close');
    expect(sent, 'bytes the server let us send').to.be.below(64 * 1024 * 1024);
  });

  it('applies the endpoint\'s limit behind a host express.json() too', async () => {
    const { app } = testReceiver({}, (host) => { host.use(express.json({ limit: '1mb' })); });
    const large = edited('tokenex', 'request', (p) => { p.padding = 'x'.repeat(80 * 1024); });
    const res = await deliver(app, 'tokenex', large);
    expect([res.status, res.body.error.code]).to.deep.equal([413, 'payload_too_large']);
  });
});

describe('hostile input: work before authentication', () => {
  const KEY = TEST_CREDENTIALS.cybersource;
  const now = Date.UTC(2025, 6, 3);
  const check = cybersourceSignatureAuthenticator({ keys: { [KEY.keyId]: KEY.key }, now: () => now });
  const deep = `{"payload":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  const garbage = `t=${now};keyId=${KEY.keyId};sig=${Buffer.alloc(32, 1).toString('base64')}`;

  it('never parses a body before the key id and time are verified, nor one nested deeper than the pipeline accepts', () => {
    const parse = JSON.parse;
    let parses = 0;
    JSON.parse = ((...args: Parameters<typeof JSON.parse>) => { parses++; return parse(...args); }) as typeof JSON.parse;
    try {
      const ask = (header: string, raw: string) => check.authenticate({ method: 'POST', headers: { 'v-c-signature': header }, ip: undefined }, Buffer.from(raw));
      expect(ask(garbage.replace(KEY.keyId, 'unknown'), '{"payload":{}}')).to.equal(false);
      expect(ask(garbage.replace(`t=${now}`, `t=${now - 2 * 3_600_000}`), '{"payload":{}}')).to.equal(false);
      expect(ask(garbage, deep)).to.equal(false);
      expect(parses).to.equal(0);
      expect(ask(garbage, '{"payload":{"a":1}}')).to.equal(false);
      expect(parses).to.equal(1, 'a plausible body is parsed once, for the payload-only construction');
    } finally {
      JSON.parse = parse;
    }
  });
});

describe('hostile input: a thrown value the library cannot describe', () => {
  it('a handler throwing an object whose toString throws still goes to the dead letters after maxAttempts', async () => {
    const { app, webhooks } = testReceiver({ mode: 'inbox', inbox: { pollIntervalMs: false, maxAttempts: 3, backoffBaseMs: 1, backoffMaxMs: 1 } });
    const inbox = webhooks as InboxTokenWebhooks;
    webhooks.onEvent(() => {
      throw { toString() { throw new Error('no'); }, get message(): string { throw new Error('nor this'); } }; // eslint-disable-line no-throw-literal
    });
    await deliver(app, 'tokenex', tokenexBody({ id: 'undescribable' })).expect(200);
    await eventually(async () => { await inbox.processInbox(); return (await inbox.listDeadLetters()).length === 1; }, 5000, 'the dead letter');
    const [dead] = await inbox.listDeadLetters();
    expect([dead!.attempts, dead!.lastError]).to.deep.equal([3, 'an error that cannot be described']);
  });
});

describe('hostile input: log scrubbing by digit content', () => {
  for (const written of ['4111.1111.1111.1111-x', '4111_1111_1111_1111', '4111/1111/1111/1111', 'evt_4111111111111111', '4111 1111 1111 1111']) {
    it(`scrubs ${written.replace(/\d/g, '9')}`, () => {
      const out = redactText(`id ${written} refused`);
      expect(out.replace(/\D/g, '')).to.not.include('1111111111');
      expect(out).to.include('[REDACTED]');
    });
  }
});
