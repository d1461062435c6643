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

  it('counts the tokens of a database written by an earlier version when it opens it', function () {
    const path = join(dir, 'upgrade', 'x.db');
    const storage = new SqliteStorage({ path });
    const record = (id: string, tokenRef: string, state: 'ACTIVE' | 'SUSPENDED') => ({
      provider: 'p', id, type: 'token.active', tokenRef, state, occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}',
    });
    try {
      storage.admit(record('a', 't1', 'ACTIVE'), { as: 'running', owner: 'o', leaseMs: 1000 });
      storage.admit(record('b', 't2', 'ACTIVE'), { as: 'running', owner: 'o', leaseMs: 1000 });
      storage.admit(record('c', 't3', 'SUSPENDED'), { as: 'running', owner: 'o', leaseMs: 1000 });
      (storage as unknown as { db: { exec(sql: string): void } }).db.exec('DROP TABLE ntw_token_counts');
    } finally {
      storage.close();
    }
    const reopened = new SqliteStorage({ path });
    try {
      const tokens = reopened.stats({ since: new Date(0), until: new Date(1) }).tokens;
      assert.deepEqual([...tokens].sort((a, b) => a.state.localeCompare(b.state)), [
        { provider: 'p', state: 'ACTIVE', count: 2 }, { provider: 'p', state: 'SUSPENDED', count: 1 },
      ]);
    } finally {
      reopened.close();
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

  it('waits at most timeoutMs for another process\'s write lock (busy timeout; default 4000, busyTimeoutMs still accepted)', function () {
    const pragma = (storage: SqliteStorage) =>
      (storage as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db.pragma('busy_timeout', { simple: true });
    for (const [options, expected] of [[{}, 4000], [{ timeoutMs: 250 }, 250], [{ busyTimeoutMs: 300 }, 300], [{ timeoutMs: 20, busyTimeoutMs: 300 }, 20]] as const) {
      const storage = new SqliteStorage({ path: ':memory:', ...options });
      try {
        assert.equal(pragma(storage), expected);
      } finally {
        storage.close();
      }
    }
    const locked = join(dir, 'locked.db');
    const holder = new SqliteStorage(locked);
    const waiter = new SqliteStorage({ path: locked, timeoutMs: 20 });
    try {
      holder.init();
      waiter.init();
      const db = (holder as unknown as { db: { exec(sql: string): void } }).db;
      db.exec('BEGIN IMMEDIATE'); // another process holds the write lock and does not let go
      const record = { provider: 'p', id: 'locked', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' };
      assert.throws(() => waiter.admit(record, { as: 'running', owner: 'a', leaseMs: 100 }), (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY');
      db.exec('ROLLBACK');
      assert.equal(waiter.admit(record, { as: 'running', owner: 'a', leaseMs: 100 }).admitted, true);
    } finally {
      holder.close();
      waiter.close();
    }
  });
});
