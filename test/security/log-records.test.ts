import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { MemoryStorage, isCardNumber } from '../../lib';
import type { TokenEvent } from '../../lib';
import { fixtures } from '../helpers/fixtures';
import { BEARER, TEST_CREDENTIALS } from '../helpers/app';
import { PINO_LEVELS, pinoCapture } from '../helpers/pino-capture';
import type { PinoRecord } from '../helpers/pino-capture';
import { EMAIL, PAN, PHONE, SENSITIVE, expectClean, hostileBodies } from './leaks';
import { NI_CLIENTS, PROVIDERS, niAccessToken, post, securityReceiver, validHeaders } from './support';
import { MOUNT, OPS, consoleApp, csrfOf } from '../console/support';

const ROOT = join(__dirname, '..', '..');
const MOCHA = require.resolve('mocha/bin/mocha.js');

/** The suites of handler failures, refusals and storage faults, run again with a logger on every receiver they make. */
const SUITES = [
  'test/pipeline/handler-failure.test.ts', 'test/delivery/failure.test.ts', 'test/delivery/sync-failures.test.ts',
  'test/pipeline/bad-input.test.ts', 'test/pipeline/quarantine.test.ts', 'test/security/authentication.test.ts',
  'test/security/hostile-input.test.ts', 'test/storage/outage.test.ts', 'test/ledger/storage-deadline.test.ts',
  'test/delivery/lease-renewal.test.ts',
];

/** Every secret those suites configure, on top of the security suites' own. */
const TEST_SECRETS = [BEARER, ...JSON.stringify(TEST_CREDENTIALS).match(/"[A-Za-z0-9+/=_-]{16,}"/g)!.map((s) => s.slice(1, -1))];

/** A record without what pino adds to every one (its time in ms is a 13-digit number): what the library wrote. */
const ofLibrary = (record: PinoRecord) => {
  const { time: _t, pid: _p, hostname: _h, ...fields } = record;
  return JSON.stringify(fields);
};

/** Every digit run of a record (grouped as cards print them or not), none a card number by shape and Luhn. */
function cardNumbersIn(text: string): string[] {
  return [...text.matchAll(/\d(?:[ ._/-]?\d)+/g)].map((m) => m[0].replace(/\D/g, '')).filter((digits) => {
    for (let start = 0; start < digits.length; start++) {
      for (let end = start + 13; end <= Math.min(digits.length, start + 19); end++) if (isCardNumber(digits.slice(start, end))) return true;
    }
    return false;
  });
}

function expectRecordsClean(what: string, records: readonly PinoRecord[]): void {
  for (const record of records) {
    const text = ofLibrary(record);
    expectClean(`${what}: ${record.msg}`, text);
    for (const secret of TEST_SECRETS) expect(text, `${what}: ${record.msg} holds a secret`).to.not.include(secret);
    expect(cardNumbersIn(text), `${what}: ${record.msg}`).to.deep.equal([]);
    expect(Object.keys(record), `${what}: a record holds no payload`).to.not.include.members(['payload', 'raw', 'body', 'headers']);
  }
}

describe('security: no log record carries a card number, an email, a phone number or a secret', function () {
  this.timeout(240_000);

  it('over every seed fixture, the hostile cases, handler failures, storage faults, lease losses, replays and the console', async () => {
    const { logger, records } = pinoCapture();
    const r = securityReceiver(undefined, { logger });
    r.webhooks.onSuspended(() => { throw new Error(`declined card ${PAN} for ${EMAIL}, call ${PHONE}`); });
    for (const provider of PROVIDERS) {
      for (const f of fixtures(provider)) await post(r.app, provider, f.text, validHeaders(provider, f.text));
      for (const body of hostileBodies(provider)) {
        for (const headers of [validHeaders(provider, body), {}, { authorization: `Bearer ${PAN}${EMAIL}` }]) await post(r.app, provider, body, headers);
        await post(r.app, provider, `${body.slice(0, -3)}, "x": "${PAN}"`, validHeaders(provider, body));
      }
    }
    await niAccessToken(r.app);
    await request(r.app).post('/oauth/ni/token').type('form')
      .send({ grant_type: 'client_credentials', client_id: EMAIL, client_secret: NI_CLIENTS[0].clientSecret.slice(0, -1) });
    await r.webhooks.close();

    // Storage faults whose messages carry card data, in inbox mode: a dead letter, replayed in bulk from the console.
    const storage = new MemoryStorage();
    const admit = storage.admit.bind(storage);
    let faulty = false;
    storage.admit = (record, how) => {
      if (faulty) throw new Error(`connection to db for ${EMAIL} reset while writing ${PAN}`);
      return admit(record, how);
    };
    const c = consoleApp({ storage, logger, mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
    try {
      c.failing = true;
      await c.send('active', 'TOK-LOG-1');
      await (c.webhooks as unknown as { processInbox(): Promise<number> }).processInbox();
      c.failing = false;
      faulty = true;
      expect((await c.post(JSON.stringify({ not: 'a tokenex payload', pan: PAN }))).status).to.equal(503, 'quarantine could not store it');
      await c.send('suspended', 'TOK-LOG-2').catch(() => undefined);
      faulty = false;
      const agent = request.agent(c.app);
      const csrf = csrfOf((await agent.get(`${MOUNT}/inbox`).auth(OPS.username, OPS.password)).text);
      const posted = await agent.post(`${MOUNT}/bulk-replay`).auth(OPS.username, OPS.password).type('form').send({ csrf, status: 'dead' });
      expect(posted.status).to.equal(303);
      await agent.post(`${MOUNT}/bulk-replay`).auth(OPS.username, OPS.password).type('form').send({ csrf: 'forged', status: 'dead' });
      expect(await (c.webhooks as unknown as { processInbox(): Promise<number> }).processInbox()).to.equal(1);
    } finally {
      await c.webhooks.close();
    }

    // A lease lost while handlers run: the renewal answers that another instance holds it.
    const leased = new MemoryStorage();
    leased.extend = () => false;
    const l = consoleApp({ storage: leased, logger, leaseMs: 300, storageTimeoutMs: 100 });
    l.webhooks.onEvent((_event: TokenEvent, { signal }) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve())));
    try {
      await l.send('active', 'TOK-LEASE').catch(() => undefined);
    } finally {
      await l.webhooks.close();
    }

    const messages = new Set(records.map((record) => record.msg));
    for (const expected of ['delivery accepted', 'delivery refused', 'handlers failed', 'run failed', 'storage call failed', 'lease lost',
      'replayed in bulk', 'replay refused', 'run done']) {
      expect(messages, `a record "${expected}"`).to.include(expected);
    }
    expect(records.some((record) => record.level === PINO_LEVELS.info && record.component === 'auth'), 'refusal reasons').to.equal(true);
    expect(records.length).to.be.above(100);
    expectRecordsClean('in-process records', records);
  });

  it('over the handler-failure, refusal and storage-fault suites, run again with a pino logger on every receiver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-log-records-'));
    const file = join(dir, 'records.jsonl');
    try {
      const run = await new Promise<{ code: number; output: string }>((resolve) => {
        execFile(process.execPath, [MOCHA, '--require', 'tsx/cjs', '--require', 'test/helpers/log-every-receiver.ts', ...SUITES], {
          cwd: ROOT, env: { ...process.env, NTW_LOG_RECORDS: file }, timeout: 200_000, maxBuffer: 16 * 1024 * 1024,
        }, (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: unknown }).code ?? 1) : 0, output: stdout + stderr }));
      });
      expect(run.code, run.output.slice(-4000)).to.equal(0);
      const records = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as PinoRecord);
      expect(records.length, 'records from the suites').to.be.above(300);
      const levels = new Set(records.map((record) => record.level));
      expect([...levels].sort()).to.include.members([PINO_LEVELS.info, PINO_LEVELS.warn, PINO_LEVELS.error]);
      for (const expected of ['delivery refused', 'handlers failed', 'storage call failed', 'delivery answered retry-later']) {
        expect(records.some((record) => record.msg === expected), `a record "${expected}"`).to.equal(true);
      }
      expect(SENSITIVE.length).to.be.above(5);
      expectRecordsClean('the suites\' records', records);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
