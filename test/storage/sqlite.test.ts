import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { runStorageConformance } from '../../lib/storage/conformance';

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
      const key = { provider: 'p', id: 'e' };
      assert.equal(storage.claim(key, 'a', 100), 'claimed');
      now = 1_099;
      assert.equal(storage.claim(key, 'b', 100), 'in_progress');
      now = 1_100;
      assert.equal(storage.claim(key, 'b', 100), 'claimed');
    } finally {
      storage.close();
    }
  });
});
