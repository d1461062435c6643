/**
 * One contender of the cross-process claim race (claim-race.test.ts): opens its own adapter on
 * the shared database, says "ready", waits for "go" on stdin, claims every id at once and prints
 * the ids it won as JSON.
 */
import { once } from 'node:events';
import type { EntryRecord, Storage } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';

const { RACE_KIND, RACE_TARGET = '', RACE_NAMESPACE = '', RACE_PROVIDER = 'race', RACE_COUNT = '1000' } = process.env;

function open(): Storage {
  switch (RACE_KIND) {
    case 'postgres': return new PostgresStorage({ connectionString: RACE_TARGET, schema: RACE_NAMESPACE });
    case 'redis': return new RedisStorage({ url: RACE_TARGET, keyPrefix: RACE_NAMESPACE });
    case 'sqlite': return new SqliteStorage(RACE_TARGET);
    default: throw new Error(`unknown RACE_KIND ${RACE_KIND}`);
  }
}

const record = (provider: string, id: string): EntryRecord => ({
  provider, id, type: 'token.active', tokenRef: `tok-${id}`, occurredAt: new Date(0), receivedAt: new Date(), fingerprint: 'race', body: '{}',
});

async function oneByOne<T>(ids: readonly string[], claim: (id: string) => T | Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const id of ids) {
    await new Promise((resolve) => setImmediate(resolve));
    results.push(await claim(id));
  }
  return results;
}

async function main(): Promise<void> {
  const storage = open();
  await storage.init?.();
  const ids = Array.from({ length: Number(RACE_COUNT) }, (_, i) => `id-${i}`);
  // Each process claims in its own order, so that ids are contended all along, not only the first ones.
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  // Open the pool's connections before the start signal, so neither process starts late.
  await Promise.all(Array.from({ length: 20 }, (_, i) => storage.admit(record(`${RACE_PROVIDER}-warmup`, `${process.pid}-${i}`), { as: 'running', owner: 'warmup', leaseMs: 1000 })));
  process.stdout.write('ready\n');
  process.stdin.setEncoding('utf8');
  let input = '';
  while (!input.includes('go')) input += String((await once(process.stdin, 'data'))[0]);
  const started = Date.now();
  const claim = async (id: string) => (await storage.admit(record(RACE_PROVIDER, id), { as: 'running', owner: `pid-${process.pid}`, leaseMs: 60_000 })).admitted;
  // A synchronous store (SQLite) would run all claims in one tick: yield between them so the processes interleave.
  const results = RACE_KIND === 'sqlite' ? await oneByOne(ids, claim) : await Promise.all(ids.map(claim));
  const won = ids.filter((_, i) => results[i] === true).sort();
  const other = results.filter((r) => typeof r !== 'boolean').length;
  process.stdout.write(`${JSON.stringify({ won, other, ms: Date.now() - started })}\n`);
  await storage.close?.();
  process.stdin.pause();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
