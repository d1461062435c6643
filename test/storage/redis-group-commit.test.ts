import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { ConfigurationError } from '../../lib';
import { RedisStorage } from '../../lib/storage/redis';
import { ADMIT, ADMIT_MANY, SETTLE, SETTLE_MANY } from '../../lib/storage/redis-scripts';
import { REDIS_URL, deleteKeys, needsService, probeRedis, uniqueName } from './services';
import { admitConcurrentCopies, admitFromTwoInstances, admitTwenty, batchSizeCases, record, running, settleConcurrently, storedAllBut } from './group-commit-cases';
const NAMES = new Map([[ADMIT.sha, 'ADMIT'], [ADMIT_MANY.sha, 'ADMIT_MANY'], [SETTLE.sha, 'SETTLE'], [SETTLE_MANY.sha, 'SETTLE_MANY']]);

/** A storage on a client whose script calls are recorded by name (ADMIT, ADMIT_MANY, …), with their key counts. */
function recorded(keyPrefix: string, groupCommit?: boolean) {
  const client = new Redis(REDIS_URL);
  const calls: { name: string; keys: number; admits: number }[] = [];
  const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { evalsha: unknown }).evalsha = (sha: string, keys: number, ...rest: unknown[]) => {
    const name = NAMES.get(sha) ?? 'other';
    // ADMIT_MANY's first argument is the count of keys of each admit
    calls.push({ name, keys, admits: name === 'ADMIT_MANY' ? keys / Number(rest[keys]) : name === 'ADMIT' ? 1 : 0 });
    return evalsha(sha, keys, ...rest);
  };
  const storage = new RedisStorage({ client, keyPrefix, ...(groupCommit === undefined ? {} : { groupCommit }) });
  const count = (name: string) => calls.filter((c) => c.name === name).length;
  return { storage, client, calls, count, close: async () => { client.disconnect(); await deleteKeys(keyPrefix); } };
}

describe('RedisStorage group commit (concurrent admits and done settles share one script call)', function () {
  needsService('Redis', probeRedis, `Tried REDIS_URL=${REDIS_URL}.`);

  it('admits many concurrent copies of many ids: exactly one admitted per id, each caller answered for its own event, in few script calls', async function () {
    const { storage, count, calls, close } = recorded(`${uniqueName('ntw-test:')}:`);
    try {
      await storage.init();
      calls.length = 0;
      await admitConcurrentCopies(storage);
      assert.ok(count('ADMIT_MANY') > 0, 'admits went in batches');
      assert.ok(count('ADMIT') + count('ADMIT_MANY') <= 200 / 64 + 2, `200 admits in ${count('ADMIT')} ADMIT and ${count('ADMIT_MANY')} ADMIT_MANY calls`);
      assert.equal((await storage.getEntry({ provider: 'cybersource', id: 'e17' }))?.attempts, 1);
      calls.length = 0;
      await settleConcurrently(storage);
      assert.ok(count('SETTLE_MANY') > 0 && count('SETTLE') + count('SETTLE_MANY') <= 3, `41 settles in ${count('SETTLE')} SETTLE and ${count('SETTLE_MANY')} SETTLE_MANY calls`);
    } finally {
      await storage.close();
      await close();
    }
  });

  it('two instances admitting copies of the same ids at once: each id admitted once, every token counted once', async function () {
    const keyPrefix = `${uniqueName('ntw-test:')}:`;
    const a = recorded(keyPrefix);
    const b = recorded(keyPrefix);
    try {
      await a.storage.init();
      await b.storage.init();
      await admitFromTwoInstances(a.storage, b.storage);
      assert.ok(a.count('ADMIT_MANY') > 0 && b.count('ADMIT_MANY') > 0);
    } finally {
      await a.storage.close();
      await b.storage.close();
      await a.close();
      await b.close();
    }
  });

  batchSizeCases('script call', () => {
    const { storage, calls, close } = recorded(`${uniqueName('ntw-test:')}:`);
    const batchesFromNow = () => {
      calls.length = 0;
      return () => calls.filter((c) => c.admits > 0).map((c) => c.admits);
    };
    return { storage, batchesFromNow, close };
  });

  it('a batch holding an entry whose script fails: that caller alone fails, the others are admitted', async function () {
    const keyPrefix = `${uniqueName('ntw-test:')}:`;
    const { storage, client, count, close } = recorded(keyPrefix);
    try {
      await storage.init();
      // the entry's key holds a string: HGET on it fails (WRONGTYPE) inside the script, for that entry only
      await client.set(`${keyPrefix}{s0}:e:cybersource:p12`, 'not a hash');
      const ids = Array.from({ length: 24 }, (_, n) => `p${n}`);
      const outcomes = await Promise.all(ids.map((id) => storage.admit(record(id), running).then((a) => a.admitted, (error: Error) => error.message)));
      assert.equal(count('ADMIT_MANY') > 0, true, 'the admits went in batches');
      outcomes.forEach((outcome, n) => {
        if (n === 12) assert.match(String(outcome), /WRONGTYPE/);
        else assert.equal(outcome, true, `p${n}`);
      });
      await storedAllBut(storage, ids, 12);
    } finally {
      await storage.close();
      await close();
    }
  });

  it('groupCommit: false sends every call on its own; a value that is not a boolean is refused', async function () {
    const { storage, count, close } = recorded(`${uniqueName('ntw-test:')}:`, false);
    try {
      await storage.init();
      await admitTwenty(storage);
      assert.equal(count('ADMIT'), 20);
      assert.equal(count('ADMIT_MANY'), 0);
      await Promise.all(Array.from({ length: 20 }, (_, n) => storage.settle({ provider: 'cybersource', id: `s${n}` }, 'o', { status: 'done' })));
      assert.equal(count('SETTLE'), 20);
      assert.equal(count('SETTLE_MANY'), 0);
    } finally {
      await storage.close();
      await close();
    }
    assert.throws(() => new RedisStorage({ url: REDIS_URL, groupCommit: 'yes' as unknown as boolean }),
      (error: unknown) => error instanceof ConfigurationError && error.code === 'ERR_NTW_OPTION');
  });
});
