import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import pino from 'pino';
import { ConfigurationError, MemoryStorage, createTokenWebhooks } from '../lib';
import type { Logger, TokenEvent, TokenWebhooksOptions } from '../lib';
import { BEARER, deliver, testReceiver } from './helpers/app';
import { tokenexBody } from './delivery/support';
import { CYBERSOURCE_KEY, CYBERSOURCE_KEY_ID } from './helpers/cybersource';
import { captureDebug } from './helpers/debug-capture';
import { unauthenticated } from './helpers/unauthenticated';
import { PINO_LEVELS, pinoCapture } from './helpers/pino-capture';
import type { PinoRecord } from './helpers/pino-capture';

const find = (records: readonly PinoRecord[], msg: string) => records.filter((r) => r.msg === msg);

describe('the logger option: structured records, as pino takes them', () => {
  it('takes a pino logger as it is (the types line up), and checks the shape of any other at start-up', () => {
    const options: TokenWebhooksOptions = { logger: pino({ enabled: false }) };
    expect(() => createTokenWebhooks(options)).to.not.throw();
    const code = (logger: unknown) => {
      try {
        createTokenWebhooks({ logger: logger as Logger });
      } catch (error) {
        expect(error).to.be.instanceOf(ConfigurationError);
        return `${(error as ConfigurationError).code}: ${(error as Error).message}`;
      }
      return 'accepted';
    };
    expect(code({ error() {}, warn() {}, info() {} })).to.include("ERR_NTW_OPTION: logger must have pino's level methods error, warn, info and debug (missing: debug)");
    expect(code(console)).to.equal('accepted', 'console has the four methods too');
    expect(code('pino')).to.match(/^ERR_NTW_OPTION/);
    expect(() => createTokenWebhooks({ loger: console } as TokenWebhooksOptions)).to.throw(/did you mean "logger"/);
  });

  it('a delivery is one record: provider, event id, code, status and duration, then the message', async () => {
    const { logger, records } = pinoCapture();
    const { app, webhooks } = testReceiver({ logger });
    try {
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-1' }))).status).to.equal(200);
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-1' }))).status).to.equal(200);
      const [accepted] = find(records, 'delivery accepted');
      expect(accepted).to.include({ level: PINO_LEVELS.info, component: 'receive', provider: 'tokenex', eventId: 'evt-log-1', code: 'accepted', status: 200, outcome: 'accepted' });
      expect(accepted!.durationMs).to.be.a('number').and.at.least(0);
      expect(find(records, 'delivery accepted (a duplicate)')[0]).to.include({ code: 'duplicate', eventId: 'evt-log-1' });
    } finally {
      await webhooks.close();
    }
  });

  it('a refusal: the reason (info) and the delivery refused (warn); never the credential it carried', async () => {
    const { logger, lines, records } = pinoCapture();
    const { app, webhooks } = testReceiver({ logger });
    try {
      const res = await request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json', authorization: 'Bearer not-the-secret-0123456789' })
        .send(tokenexBody({ id: 'evt-log-2' }));
      expect(res.status).to.equal(401);
      const reason = records.find((r) => r.component === 'auth');
      expect(reason).to.include({ level: PINO_LEVELS.info, provider: 'tokenex', code: 'unauthorized' });
      expect(reason!.msg).to.match(/^tokenex\(\) refused: the bearer token matches no secret/);
      expect(find(records, 'delivery refused')[0]).to.include({ level: PINO_LEVELS.warn, provider: 'tokenex', code: 'unauthorized', status: 401 });
      expect(lines.join('\n')).to.not.include('not-the-secret');
    } finally {
      await webhooks.close();
    }
  });

  it('a handler failure and a storage failure are errors, with the delivery answered retry-later a warning', async () => {
    const { logger, records } = pinoCapture();
    const storage = new MemoryStorage();
    const { app, webhooks } = testReceiver({ logger, storage });
    webhooks.onSuspended(() => { throw new Error('downstream answered 503'); });
    try {
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-3', state: 'SUSPENDED' }))).status).to.equal(500);
      expect(find(records, 'handlers failed')[0]).to.include({
        level: PINO_LEVELS.error, component: 'webhooks', provider: 'tokenex', eventId: 'evt-log-3', code: 'handler_failed', error: 'downstream answered 503',
      });
      expect(find(records, 'run failed')[0]).to.include({ level: PINO_LEVELS.warn, eventId: 'evt-log-3', attempt: 1, entryStatus: 'failed' });
      storage.admit = () => { throw new Error('disk full'); };
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-4' }))).status).to.equal(503);
      expect(find(records, 'storage call failed')[0]).to.include({
        level: PINO_LEVELS.error, provider: 'tokenex', code: 'ERR_NTW_STORAGE_UNAVAILABLE', operation: 'admit',
      });
      expect(find(records, 'delivery answered retry-later').map((r) => [r.level, r.code, r.status])).to.deep.equal([
        [PINO_LEVELS.warn, 'handler_failed', 500], [PINO_LEVELS.warn, 'storage_unavailable', 503],
      ]);
    } finally {
      await webhooks.close();
    }
  });

  it('the worker\'s runs, started by a delivery or by processInbox(), log to the receiver\'s logger', async () => {
    const { logger, records } = pinoCapture();
    const { app, webhooks } = testReceiver({ logger, mode: 'inbox', inbox: { pollIntervalMs: false } });
    try {
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-5' }))).status).to.equal(200);
      expect(await webhooks.processInbox()).to.equal(1);
      expect(find(records, 'run done')[0]).to.include({ level: PINO_LEVELS.info, component: 'worker', provider: 'tokenex', eventId: 'evt-log-5', attempt: 1 });
    } finally {
      await webhooks.close();
    }
  });

  it('start-up notes are warnings: an endpoint without authentication, a mount that cannot be checked', async () => {
    const { logger, records } = pinoCapture();
    const webhooks = createTokenWebhooks<TokenEvent>({ logger, pruneIntervalMs: false }).onEvent(() => undefined);
    const app = express().use('/webhooks/tokenex', unauthenticated(() => webhooks.tokenex({ auth: 'none' })))
      .use('/webhooks/:tenant/cybersource', webhooks.cybersource({ keys: { [CYBERSOURCE_KEY_ID]: CYBERSOURCE_KEY } }));
    try {
      await webhooks.ready({ app });
      expect(records.map((r) => [r.level, r.component, r.msg])).to.deep.include.members([
        [PINO_LEVELS.warn, 'config', "the endpoint accepts unauthenticated deliveries (auth: 'none')"],
        [PINO_LEVELS.warn, 'mount', 'mount check: the cybersource endpoint at "/webhooks/:tenant/cybersource" is not a literal path; its body parser and health check are not checked'],
      ]);
    } finally {
      await webhooks.close();
    }
  });

  it('each receiver logs to its own logger, however their deliveries interleave; one without a logger logs to debug', async () => {
    const one = pinoCapture();
    const two = pinoCapture();
    const a = testReceiver({ logger: one.logger });
    const b = testReceiver({ logger: two.logger });
    const c = testReceiver();
    const capture = captureDebug();
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => [
        deliver(a.app, 'tokenex', tokenexBody({ id: `a-${i}` })), deliver(b.app, 'tokenex', tokenexBody({ id: `b-${i}` })),
        deliver(c.app, 'tokenex', tokenexBody({ id: `c-${i}` })),
      ]).flat());
    } finally {
      capture.restore();
    }
    try {
      const ids = (records: readonly PinoRecord[]) => records.map((r) => r.eventId).filter((id) => id !== undefined).sort();
      expect(ids(one.records)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `a-${i}`).sort());
      expect(ids(two.records)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `b-${i}`).sort());
      const debugged = capture.lines.filter((l) => l.includes('delivery accepted'));
      expect(debugged).to.have.length(10);
      expect(debugged.every((l) => /eventId=c-\d/.test(l))).to.equal(true, 'debug has the third receiver\'s records, and only those');
    } finally {
      await Promise.all([a.webhooks.close(), b.webhooks.close(), c.webhooks.close()]);
    }
  });

  it('lease renewals on the timer receivers share log to the logger of the run they renew', async () => {
    const receivers = ['a', 'b'].map((name) => {
      const capture = pinoCapture();
      const storage = new MemoryStorage();
      storage.extend = () => false; // every renewal finds the lease taken: the run loses it at its first beat
      const r = testReceiver({ logger: capture.logger, storage, leaseMs: 300, storageTimeoutMs: 100 });
      let started!: () => void;
      const running = new Promise<void>((resolve) => { started = resolve; });
      r.webhooks.onEvent((_event, { signal }) => new Promise<void>((resolve) => {
        started();
        signal.addEventListener('abort', () => resolve());
      }));
      return { name, ...r, ...capture, running };
    });
    try {
      // The first run makes the shared timer of 100 ms beats, in its receiver's work; the second joins it.
      const first = deliver(receivers[0]!.app, 'tokenex', tokenexBody({ id: 'lease-a' })).then((res) => res.status); // sent now
      await receivers[0]!.running;
      const second = deliver(receivers[1]!.app, 'tokenex', tokenexBody({ id: 'lease-b' })).then((res) => res.status);
      expect(await Promise.all([first, second])).to.deep.equal([200, 200], 'the handlers returned once their signal aborted');
      for (const r of receivers) {
        const lost = r.records.filter((record) => record.msg === 'lease lost' || record.component === 'lease').map((record) => record.eventId);
        expect(lost.length, r.name).to.be.above(0);
        expect(new Set(lost), r.name).to.deep.equal(new Set([`lease-${r.name}`]));
      }
    } finally {
      await Promise.all(receivers.map((r) => r.webhooks.close()));
    }
  });

  it('a logger that throws fails nothing: the delivery is answered as without one', async () => {
    const throwing: Logger = { error() { throw new Error('log sink down'); }, warn() { throw new Error('log sink down'); },
      info() { throw new Error('log sink down'); }, debug() { throw new Error('log sink down'); } };
    const { app, webhooks } = testReceiver({ logger: throwing });
    try {
      expect((await deliver(app, 'tokenex', tokenexBody({ id: 'evt-log-6' }))).status).to.equal(200);
      expect((await request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json' }).send('{}')).status).to.equal(401);
      expect((await request(app).post('/webhooks/tokenex').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send('{')).status).to.equal(400);
    } finally {
      await webhooks.close();
    }
  });
});
