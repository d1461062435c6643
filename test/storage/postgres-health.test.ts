import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { StorageError } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { deliver, testReceiver } from '../helpers/app';
import { eventually, tokenexBody } from '../delivery/support';
import { DATABASE_URL, adminQuery, needsService, probePostgres, uniqueName } from './services';


/**
 * PostgreSQL turned read-only under a running receiver, as after a failover to a replica: the test's own role
 * gets `default_transaction_read_only = on` and its sessions are ended, so the pool reconnects read-only.
 */
describe('health() and deliveries when PostgreSQL turns read-only', function () {
  this.timeout(30_000);
  const role = uniqueName('ntw_ro_');
  const schema = uniqueName('ntw_test_');
  const service = needsService('PostgreSQL', probePostgres, `Tried DATABASE_URL=${DATABASE_URL}.`);
  const url = new URL(DATABASE_URL);
  url.username = role;
  url.password = '';
  const endSessions = () => adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '${role}'`);

  before(async function () {
    await adminQuery(`CREATE ROLE ${role} LOGIN; GRANT CREATE ON DATABASE "${new URL(DATABASE_URL).pathname.slice(1)}" TO ${role}`);
  });
  after(async function () {
    if (!service.available) return;
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await adminQuery(`DROP OWNED BY ${role}; DROP ROLE IF EXISTS ${role}`);
  });

  it('deliveries 503 and health() not ok while it is read-only; ok again once it is writable', async function () {
    const { app, webhooks, recorder } = testReceiver({ storage: new PostgresStorage({ connectionString: url.toString(), schema }) });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });
    try {
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 200);
      assert.equal((await webhooks.health()).ok, true);

      await adminQuery(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
      await endSessions();
      const readOnly = (error: unknown) => /read-only transaction/.test(String((error as StorageError).cause));
      // The pool first meets the connections that were ended (a refused delivery too), then reconnects read-only.
      await eventually(async () => {
        assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 503);
        return reported.some(readOnly);
      }, 10_000, 'a delivery refused by a read-only session');
      assert.equal(recorder.count('event'), 1);
      await eventually(async () => {
        const sick = await webhooks.health();
        assert.equal(sick.ok, false);
        return /read-only transaction/.test(sick.storage.error ?? '');
      }, 10_000, 'health() to name the read-only transaction');

      await adminQuery(`ALTER ROLE ${role} RESET default_transaction_read_only`);
      await endSessions();
      // Writable again, but nothing recorded since the failures: not ok until a delivery is (or 30 s pass).
      await eventually(async () => (await webhooks.health()).storage.error === undefined, 10_000, 'the probe to pass');
      const waiting = await webhooks.health();
      assert.equal(waiting.ok, false);
      assert.equal(waiting.storage.recentFailure?.operation, 'admit');
      assert.match(waiting.storage.recentFailure.error, /read-only transaction/);
      await eventually(async () => (await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status === 200, 10_000, 'a delivery recorded');
      assert.equal(recorder.count('event'), 2);
      await eventually(async () => (await webhooks.health()).ok, 10_000, 'health() ok again');
    } finally {
      await webhooks.close();
    }
  });
});
