import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import Redis from 'ioredis';
import { MemoryStorage, isCardNumber } from '../../lib';
import type { InboxTokenWebhooks, Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { deliver, testReceiver } from '../helpers/app';
import { edited, fixtures } from '../helpers/fixtures';
import { DESCRIPTORS, PROVIDERS } from '../providers/descriptors';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';

/** Personal data and secrets planted in the deliveries below: none may be found in what the storage holds. */
const PAN = '4111111111111111';
const PAN_GROUPED = '5555 5555 5555 4444';
const PHONE = '+971501234567';
const EMAIL = 'jane.doe@example.org';
const CODE = '735119';
const SMS = `Use ${CODE} to activate your card`;

/** Every delivery the test sends: the seed examples, the documented shapes, and cases carrying card data and personal data. */
function deliveries(): [provider: string, body: string][] {
  const all: [string, string][] = [];
  for (const provider of PROVIDERS) for (const f of [...fixtures(provider), ...fixtures(provider, 'documented')]) all.push([provider, f.text]);
  all.push(['ni', edited('ni', 'sample-request-for-ac', (p) => {
    p.id = 'pii-ac';
    p.details.token.activationCode = CODE;
    p.details.textMessage = SMS;
    p.details.card.mobilePhone = PHONE;
    p.details.card.email = EMAIL;
  })]);
  all.push(['ni', edited('ni', 'sample-request-for-td', (p) => { p.id = 'pii-pan'; p.details.card.id = { type: 'cardNumber', value: PAN }; })]);
  all.push(['ni', edited('ni', 'sample-request-for-tc', (p) => { p.id = 'pii-masked'; p.details.card.maskedCardNumber = PAN_GROUPED; delete p.details.card.id; })]);
  all.push(['tokenex', edited('tokenex', 'request', (p) => {
    p.networkTokenStateChangeNotification.messageId = 'pii-tokenex';
    p.networkTokenStateChangeNotification.requestReason = `card ${PAN_GROUPED} of ${EMAIL}`;
    p.message = `pan=${PAN}`;
  })]);
  all.push(['cybersource', edited('cybersource', 'network-token-suspended', (p) => {
    p.payload.data.id = `pii-${PAN}`; // a card number in an id is stored only as its keyed hash
    p.payload.data.reason = `REASON ${PAN}`;
    p.organizationId = EMAIL;
  })]);
  // A card number sent as a JSON number, in a field the schema leaves open.
  all.push(['cybersource', edited('cybersource', 'network-token-updated', (p) => { p.payload.data.id = 'pii-number'; p.payload.data.cardReference = 5555555555554444; })]);
  all.push(['firstoken', edited('firstoken', 'active', (p) => { p.event_id = 'pii-ft'; p.message = `holder ${EMAIL} card ${PAN}`; p.data.ft_token = `ft_${PAN}`; })]);
  // Every other provider's own cases, from its descriptor.
  for (const d of DESCRIPTORS) for (const body of d.withPersonalData?.({ pan: PAN, email: EMAIL, phone: PHONE }) ?? []) all.push([d.name, body]);
  return all;
}

/** Every card number, by shape and Luhn check, in a text. */
function cardNumbersIn(text: string): string[] {
  return (text.match(/(?<![0-9])[0-9](?:[ ._/-]?[0-9])+(?![0-9])/g) ?? []).filter((run) => isCardNumber(run.replace(/\D/g, '')));
}

function expectNothingSensitive(what: string, dump: string): void {
  expect(cardNumbersIn(dump), `card numbers in ${what}`).to.deep.equal([]);
  for (const secret of [PHONE, EMAIL, CODE, SMS, 'abcd@gmail.com', '0554873333']) expect(dump, `${what} holds ${secret}`).to.not.include(secret);
  expect(dump, `${what}: an email address`).to.not.match(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
}

interface Subject {
  readonly storage: () => Storage;
  /** Everything the store holds, rows and keys, as text. */
  readonly dump: () => Promise<string>;
  readonly cleanup: () => Promise<void>;
}

function scan(name: string, subject: () => Subject): void {
  for (const mode of ['sync', 'inbox'] as const) {
    it(`${name}, ${mode} mode: no card number, email, phone number, activation code or SMS text at rest`, async function () {
      const s = subject();
      try {
        const { app, webhooks, recorder } = testReceiver({
          storage: s.storage(), mode, referenceKey: 'a-reference-key-of-32-characters!', inbox: { pollIntervalMs: false },
        });
        const handlerSaw: string[] = [];
        webhooks.onEvent((e) => { if (e.type === 'token.activation_code') handlerSaw.push(e.activationCode ?? ''); });
        // Unreadable deliveries are quarantined (kept), the same protection applies.
        for (const [provider, body] of deliveries()) expect((await deliver(app, provider, body)).status, `${provider} ${body.slice(0, 80)}`).to.equal(200);
        if (mode === 'inbox') await (webhooks as InboxTokenWebhooks).processInbox();
        if (mode === 'sync') expect(handlerSaw).to.include(CODE, 'handlers still receive the code in memory');
        expect(recorder.count('event')).to.be.above(20);
        await webhooks.close();
        const dump = await s.dump();
        expect(dump, 'the dump holds the stored payloads, redacted').to.include('[REDACTED]');
        expect(dump, 'a card number that identified a token is kept as its keyed hash').to.match(/card_[A-Za-z0-9_-]{43}/);
        expectNothingSensitive(`${name} (${mode})`, dump);
      } finally {
        await s.cleanup();
      }
    });
  }
}

describe('at rest: what every adapter holds after real deliveries', function () {
  scan('MemoryStorage', () => {
    const storage = new MemoryStorage();
    const internals = storage as unknown as { entries: Map<string, unknown>; states: Map<string, unknown> };
    return {
      storage: () => storage,
      dump: async () => JSON.stringify([...internals.entries, ...internals.states]),
      cleanup: async () => undefined,
    };
  });

  const dir = mkdtempSync(join(tmpdir(), 'ntw-at-rest-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  scan('SqliteStorage', () => {
    const file = join(dir, `at-rest-${n++}.db`);
    return {
      storage: () => new SqliteStorage(file),
      dump: async () => {
        const db = new Database(file, { readonly: true });
        try {
          const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
          return JSON.stringify(tables.map(({ name }) => db.prepare(`SELECT * FROM "${name}"`).all()));
        } finally {
          db.close();
        }
      },
      cleanup: async () => undefined,
    };
  });

  describe('PostgreSQL', function () {
    needsService('PostgreSQL', () => probePostgres(), `Set DATABASE_URL (default ${DATABASE_URL}).`);
    scan('PostgresStorage', () => {
      const schema = uniqueName('ntw_at_rest_');
      return {
        storage: () => new PostgresStorage({ connectionString: DATABASE_URL, schema }),
        dump: async () => {
          const client = new Client({ connectionString: DATABASE_URL });
          await client.connect();
          try {
            const tables = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
            // One query at a time: a pg Client runs them in turn anyway, and warns (deprecated) when asked for several at once.
            const rows: string[] = [];
            for (const { table_name: t } of tables.rows) {
              const result = await client.query<{ r: string }>(`SELECT row_to_json(x)::text AS r FROM "${schema}"."${t}" x`);
              rows.push(...result.rows.map((row) => row.r));
            }
            return rows.join('\n');
          } finally {
            await client.end();
          }
        },
        cleanup: () => dropSchema(schema),
      };
    });
  });

  describe('Redis', function () {
    needsService('Redis', () => probeRedis(), `Set REDIS_URL (default ${REDIS_URL}).`);
    scan('RedisStorage', () => {
      const prefix = `${uniqueName('ntw-at-rest:')}:`;
      return {
        storage: () => new RedisStorage({ url: REDIS_URL, keyPrefix: prefix }),
        dump: async () => {
          const client = new Redis(REDIS_URL);
          try {
            const keys = await client.keys(`${prefix}*`);
            const values = await Promise.all(keys.map(async (key) => {
              const type = await client.type(key);
              if (type === 'hash') return JSON.stringify(await client.hgetall(key));
              if (type === 'zset') return JSON.stringify(await client.zrange(key, 0, -1, 'WITHSCORES'));
              return String(await client.get(key));
            }));
            return [...keys, ...values].join('\n');
          } finally {
            client.disconnect();
          }
        },
        cleanup: async () => { await deleteKeys(prefix); },
      };
    });
  });
});
