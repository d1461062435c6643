import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { runStorageConformance } from '../../lib/storage/kit';

describe('SqliteStorage', function () {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-sqlite-'));
  const file = join(dir, 'nested', 'store.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  runStorageConformance('SqliteStorage', () => new SqliteStorage(file), { describe, it, before, after }, { persistent: true });

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

  it('counts the tokens of a database of 0.2 (no version recorded, no token counts) when it opens it', async function () {
    const path = join(dir, 'upgrade', 'x.db');
    const storage = new SqliteStorage({ path });
    const record = (id: string, tokenRef: string, state: 'ACTIVE' | 'SUSPENDED') => ({
      provider: 'p', id, type: 'token.active', tokenRef, state, occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}',
    });
    try {
      await storage.admit(record('a', 't1', 'ACTIVE'), { as: 'running', owner: 'o', leaseMs: 1000 });
      await storage.admit(record('b', 't2', 'ACTIVE'), { as: 'running', owner: 'o', leaseMs: 1000 });
      await storage.admit(record('c', 't3', 'SUSPENDED'), { as: 'running', owner: 'o', leaseMs: 1000 });
      (storage as unknown as { db: { exec(sql: string): void } }).db.exec('DROP TABLE ntw_token_counts; PRAGMA user_version = 0');
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

  it('judges leases by its injectable clock', async function () {
    let now = 1_000;
    const storage = new SqliteStorage({ path: ':memory:', now: () => now });
    try {
      const record = { provider: 'p', id: 'e', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' };
      assert.equal((await storage.admit(record, { as: 'running', owner: 'a', leaseMs: 100 })).admitted, true);
      now = 1_099;
      assert.equal((await storage.admit(record, { as: 'running', owner: 'b', leaseMs: 100 })).admitted, false);
      now = 1_100;
      assert.equal((await storage.admit(record, { as: 'running', owner: 'b', leaseMs: 100 })).admitted, true);
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

  it('waits at most timeoutMs for another process\'s write lock (busy timeout; default 4000, busyTimeoutMs still accepted)', async function () {
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
      await assert.rejects(waiter.admit(record, { as: 'running', owner: 'a', leaseMs: 100 }), (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY');
      db.exec('ROLLBACK');
      assert.equal((await waiter.admit(record, { as: 'running', owner: 'a', leaseMs: 100 })).admitted, true);
    } finally {
      holder.close();
      waiter.close();
    }
  });
  it('steps arriving together share one BEGIN IMMEDIATE and one commit; a step that fails undoes only its own writes', async function () {
    const file = join(dir, 'group.db');
    for (const groupCommit of [true, false]) {
      const storage = new SqliteStorage({ path: file, groupCommit });
      const reader = new SqliteStorage(file);
      try {
        storage.init();
        const db = (storage as unknown as { db: { transaction: (fn: () => unknown) => { immediate: () => unknown } } }).db;
        const transaction = db.transaction.bind(db);
        let commits = 0;
        db.transaction = (fn) => {
          const tx = transaction(fn);
          return Object.assign((...args: unknown[]) => (tx as unknown as (...a: unknown[]) => unknown)(...args), {
            immediate: () => { commits++; return tx.immediate(); },
          });
        };
        const provider = `group-${groupCommit}`;
        const record = (id: string) => ({ provider, id, type: 'token.active', tokenRef: `t-${id}`, state: 'ACTIVE' as const, occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' });
        const steps = Array.from({ length: 20 }, (_, i) => storage.admit(record(`e${i}`), { as: 'running', owner: `o${i}`, leaseMs: 60_000 }));
        const broken = storage.admit({ ...record('broken'), body: null as unknown as string }, { as: 'running', owner: 'x', leaseMs: 60_000 });
        const settled = storage.settle({ provider, id: 'e0' }, 'o0', { status: 'done' });
        const outcomes = await Promise.allSettled([...steps, broken, settled]);
        assert.equal(commits, groupCommit ? 1 : 22);
        assert.deepEqual(outcomes.map((o) => o.status), [...Array(20).fill('fulfilled'), 'rejected', 'fulfilled']);
        for (let i = 0; i < 20; i++) assert.equal((await reader.getEntry({ provider, id: `e${i}` }))?.status, i === 0 ? 'done' : 'running', `e${i}`);
        assert.equal(await reader.getEntry({ provider, id: 'broken' }), undefined);
        assert.equal((await reader.getTokenState(provider, 't-e5'))?.state, 'ACTIVE');
      } finally {
        storage.close();
        reader.close();
      }
    }
  });

  it('commits the steps still waiting when it is closed', async function () {
    const file = join(dir, 'close.db');
    const storage = new SqliteStorage(file);
    storage.init();
    const record = { provider: 'p', id: 'late', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}' };
    const admitted = storage.admit(record, { as: 'pending' });
    storage.close();
    assert.equal((await admitted).admitted, true);
    const reader = new SqliteStorage(file);
    try {
      assert.equal(reader.getEntry({ provider: 'p', id: 'late' })?.status, 'pending');
    } finally {
      reader.close();
    }
  });
});
