import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { runStorageConformance } from '../../lib/testing/storage-conformance';

describe('SqliteStorage', function () {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-sqlite-'));
  const file = join(dir, 'nested', 'store.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  runStorageConformance('SqliteStorage', () => new SqliteStorage(file), { persistent: true });

  it('opens the file in WAL mode, creating its folder', function () {
    const storage = new SqliteStorage({ path: join(dir, 'wal', 'x.db') });
    try {
      storage.init();
      const mode = (storage as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db.pragma('journal_mode', { simple: true });
      assert.equal(mode, 'wal');
    } finally {
      storage.close();
    }
  });

  it('judges leases by its injectable clock', function () {
    let now = 1_000;
    const storage = new SqliteStorage({ path: ':memory:', now: () => now });
    try {
      const record = { provider: 'p', id: 'e', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' };
      assert.equal(storage.admit(record, { as: 'running', owner: 'a', leaseMs: 100 }).admitted, true);
      now = 1_099;
      assert.equal(storage.admit(record, { as: 'running', owner: 'b', leaseMs: 100 }).admitted, false);
      now = 1_100;
      assert.equal(storage.admit(record, { as: 'running', owner: 'b', leaseMs: 100 }).admitted, true);
    } finally {
      storage.close();
    }
  });

  it('commits with synchronous = FULL unless told otherwise', function () {
    for (const [options, expected] of [[{}, 2], [{ synchronous: 'normal' as const }, 1]] as const) {
      const storage = new SqliteStorage({ path: ':memory:', ...options });
      try {
        storage.init();
        const level = (storage as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db.pragma('synchronous', { simple: true });
        assert.equal(level, expected);
      } finally {
        storage.close();
      }
    }
  });
});
