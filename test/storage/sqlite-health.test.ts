import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HealthReport, StorageError } from '../../lib';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { deliver, testReceiver } from '../helpers/app';
import { tokenexBody } from '../delivery/support';

const FILES = ['', '-wal', '-shm'];

/**
 * Set this process's soft limit on the size of a file it writes (RLIMIT_FSIZE, with `prlimit`): a write past
 * it fails with EFBIG, as one on a full disk fails with ENOSPC (Node ignores SIGXFSZ). `undefined` lifts it.
 * Answers why it cannot, or `undefined` when it did.
 */
function limitFileSize(bytes: number | undefined): string | undefined {
  const set = spawnSync('prlimit', ['--pid', String(process.pid), `--fsize=${bytes ?? 'unlimited'}:`], { encoding: 'utf8' });
  if (set.error) return `prlimit is not available (${set.error.message})`;
  return set.status === 0 ? undefined : `prlimit failed: ${set.stderr.trim()}`;
}

describe('health() and deliveries when the SQLite file cannot be written', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'ntw-sqlite-health-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('its file (and -wal, -shm) deleted under a running receiver: deliveries 503, health not ok', async function () {
    const path = join(dir, 'ledger.db');
    const { app, webhooks, recorder } = testReceiver({ storage: new SqliteStorage(path) });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });
    try {
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 200);
      assert.equal((await webhooks.health()).ok, true);
      for (const suffix of FILES) rmSync(`${path}${suffix}`);

      // Written now, an event would go to a file no one can open again: lost at the next restart.
      for (let i = 0; i < 3; i++) assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 503);
      assert.equal(recorder.count('event'), 1);
      assert.equal(reported.length, 3);
      assert.equal(((reported[0] as StorageError).cause as { code?: string }).code, 'SQLITE_READONLY_DBMOVED');
      const health = await webhooks.health();
      assert.equal(health.ok, false);
      assert.match(health.storage.error!, /deleted or replaced/);
    } finally {
      await webhooks.close();
    }
  });

  it('a disk that takes no more bytes: deliveries 503, health not ok until a delivery is recorded again', async function () {
    const path = join(dir, 'ledger.db');
    const { app, webhooks, recorder } = testReceiver({ storage: new SqliteStorage(path) });
    const reported: unknown[] = [];
    webhooks.onError((error) => { reported.push(error); });
    try {
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 200);
      const full = Math.max(...FILES.map((suffix) => statSync(`${path}${suffix}`).size));
      const why = limitFileSize(full);
      if (why) {
        if (process.env.CI === 'true') throw new Error(why);
        // eslint-disable-next-line no-console
        console.warn(`      skipping: ${why}`);
        this.skip();
      }
      let sick: HealthReport | undefined;
      try {
        for (let i = 0; i < 3; i++) assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 503);
        sick = await webhooks.health();
      } finally {
        assert.equal(limitFileSize(undefined), undefined);
      }
      assert.equal(recorder.count('event'), 1);
      assert.equal(reported.length, 3);
      assert.match(((reported[0] as StorageError).cause as { code?: string }).code ?? '', /^SQLITE_(FULL|IOERR)/);
      // The probe's write is rolled back before it reaches the disk: only the deliveries' failures show it.
      assert.ok(sick);
      assert.equal(sick.ok, false);
      assert.equal(sick.storage.ok, false);
      assert.equal(sick.storage.error, undefined);
      assert.equal(sick.storage.recentFailure?.code, 'ERR_NTW_STORAGE_UNAVAILABLE');
      assert.equal(sick.storage.recentFailure.operation, 'admit');
      assert.match(sick.storage.recentFailure.error, /disk I\/O error|full/);

      // The disk has room again, nothing was recorded since: still not ok. The next delivery's commit proves it.
      assert.equal((await webhooks.health()).ok, false);
      assert.equal((await deliver(app, 'tokenex', tokenexBody({ id: randomUUID() }))).status, 200);
      const healthy = await webhooks.health();
      assert.equal(healthy.ok, true);
      assert.equal(healthy.storage.recentFailure, undefined);
    } finally {
      limitFileSize(undefined);
      await webhooks.close();
    }
  });
});
