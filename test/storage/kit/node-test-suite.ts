// The storage kit's conformance suite under node:test, with its own functions injected: run by conformance.test.ts
// as `node --test`, against MemoryStorage, SQLite (persistent), and a store without stats (whose group skips).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryStorage } from '../../../lib';
import type { Storage } from '../../../lib';
import { SqliteStorage } from '../../../lib/storage/sqlite';
import { runStorageConformance, statsConformance } from '../../../lib/storage/kit';

const tests = { describe, it, before, after };

runStorageConformance('MemoryStorage', () => new MemoryStorage(), tests);

describe('SqliteStorage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ntw-kit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  runStorageConformance('SqliteStorage', () => new SqliteStorage(join(dir, 'store.db')), tests, { persistent: true });
});

/** A MemoryStorage without the optional `stats`. */
const withoutStats = (inner: MemoryStorage): Storage => new Proxy(inner, {
  get: (target, name) => (name === 'stats' ? undefined : Reflect.get(target, name, target)),
});
statsConformance('MemoryStorage without stats', () => withoutStats(new MemoryStorage()), tests);
