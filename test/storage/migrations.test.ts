import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import BetterSqlite3 from 'better-sqlite3';
import { createTokenWebhooks } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { BEARER } from '../helpers/app';
import { post, tokenexBody } from '../delivery/support';
import express from 'express';
import { DATABASE_URL, REDIS_URL, adminQuery, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from './services';

const ROOT = resolve(__dirname, '..', '..');

function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}


const code = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: { code?: string }) => error.code ?? String(error));

describe('storage: schema versions', function () {
  this.timeout(60_000);

  describe('PostgreSQL', function () {
    needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
    const schema = uniqueName('ntw_migrate_');
    const role = uniqueName('ntw_app_');
    after(async () => {
      await dropSchema(schema);
      await adminQuery(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    });

    it('with migrations: \'verify\', a role that may not create tables starts once the printed SQL was applied, and not before', async function () {
      await adminQuery(`CREATE ROLE ${role} LOGIN; CREATE SCHEMA "${schema}"; GRANT USAGE ON SCHEMA "${schema}" TO ${role}`);
      const appUrl = DATABASE_URL.replace('postgres@', `${role}@`);
      const behind = createTokenWebhooks({ storage: new PostgresStorage({ connectionString: appUrl, schema, migrations: 'verify' }) });
      behind.onEvent(() => undefined);
      assert.equal(await code(behind.ready()), 'ERR_NTW_SCHEMA_BEHIND');
      await behind.close();
      const applying = new PostgresStorage({ connectionString: appUrl, schema });
      assert.match(await code(applying.init()), /42501|permission denied/, 'the app\'s role cannot apply them itself');
      await applying.close();

      const printed = await cli(['migrate', 'postgres', '--print', '--schema', schema]);
      assert.equal(printed.code, 0, printed.stderr);
      await adminQuery(printed.stdout);
      await adminQuery(printed.stdout); // applying it twice changes nothing
      await adminQuery(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "${schema}" TO ${role}`);

      const webhooks = createTokenWebhooks({ storage: new PostgresStorage({ connectionString: appUrl, schema, migrations: 'verify' }), pruneIntervalMs: false });
      let runs = 0;
      webhooks.onEvent(() => { runs++; });
      const app = express().use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
      await webhooks.ready();
      assert.equal((await post(app, 'tokenex', tokenexBody({ id: 'verified', tokenRef: 't' }))).status, 200);
      assert.equal(runs, 1);
      await webhooks.close();
    });

    it('refuses a schema a newer release wrote (ERR_NTW_SCHEMA_NEWER), in either mode', async function () {
      const newer = uniqueName('ntw_migrate_');
      try {
        const storage = new PostgresStorage({ connectionString: DATABASE_URL, schema: newer });
        await storage.init();
        await adminQuery(`INSERT INTO "${newer}".ntw_migrations (version, name) VALUES (99, 'from the future')`);
        assert.equal(await code(storage.init()), 'ERR_NTW_SCHEMA_NEWER');
        await storage.close();
        const verifying = new PostgresStorage({ connectionString: DATABASE_URL, schema: newer, migrations: 'verify' });
        assert.equal(await code(verifying.init()), 'ERR_NTW_SCHEMA_NEWER');
        await verifying.close();
      } finally {
        await dropSchema(newer);
      }
    });

    it('the CLI applies the steps with --url, and refuses --print for the stores that migrate themselves', async function () {
      const applied = uniqueName('ntw_migrate_');
      try {
        const run = await cli(['migrate', 'postgres', '--url', DATABASE_URL, '--schema', applied]);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /at this release's schema/);
        const verifying = new PostgresStorage({ connectionString: DATABASE_URL, schema: applied, migrations: 'verify' });
        await verifying.init();
        await verifying.close();
        const refused = await cli(['migrate', 'sqlite', '--print']);
        assert.notEqual(refused.code, 0);
        assert.match(refused.stderr, /--print is for PostgreSQL/);
      } finally {
        await dropSchema(applied);
      }
    });
  });

  it('SQLite: records its version in user_version and refuses a newer one (ERR_NTW_SCHEMA_NEWER)', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-migrate-'));
    try {
      const path = join(dir, 'x.db');
      const storage = new SqliteStorage({ path });
      storage.init();
      storage.close();
      const db = new BetterSqlite3(path);
      assert.equal(db.pragma('user_version', { simple: true }), 3);
      db.pragma('user_version = 99');
      db.close();
      const webhooks = createTokenWebhooks({ storage: new SqliteStorage({ path }) });
      webhooks.onEvent(() => undefined);
      assert.equal(await code(webhooks.ready()), 'ERR_NTW_SCHEMA_NEWER');
      await webhooks.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('Redis', function () {
    needsService('Redis', probeRedis, 'Start Redis on 127.0.0.1:6379.');
    it('records its version under the prefix and refuses a newer one (ERR_NTW_SCHEMA_NEWER)', async function () {
      const prefix = uniqueName('ntw-migrate-');
      const probe = new Redis(REDIS_URL);
      try {
        const storage = new RedisStorage({ url: REDIS_URL, keyPrefix: `${prefix}:` });
        await storage.init();
        assert.equal(await probe.hget(`${prefix}:schema`, 'version'), '3');
        await probe.hset(`${prefix}:schema`, 'version', 99);
        assert.equal(await code(storage.init()), 'ERR_NTW_SCHEMA_NEWER');
        await storage.close();
      } finally {
        probe.disconnect();
        await deleteKeys(prefix);
      }
    });
  });
});
