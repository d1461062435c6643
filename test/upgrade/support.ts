import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import type { Express, RequestHandler } from 'express';
import { createTokenWebhooks } from '../../lib';
import type { Storage, TokenWebhooksOptions } from '../../lib';
import { PostgresStorage } from '../../lib/storage/postgres';
import { RedisStorage } from '../../lib/storage/redis';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { BEARER } from '../helpers/app';
import { DATABASE_URL, REDIS_URL, deleteKeys, dropSchema, needsService, probePostgres, probeRedis, uniqueName } from '../storage/services';
import { hasRelease, releaseBuild } from './releases';
import type { ReleaseName } from './releases';

/** What a test uses of a receiver, of this release or an earlier one: the same calls in every release. */
export interface AnyWebhooks {
  onEvent(handler: (event: { id: string; stale?: boolean }) => unknown): unknown;
  tokenex(options: { auth: { bearer: string } }): RequestHandler;
  getTokenState(provider: string, tokenRef: string): Promise<{ state: string; chargeable: boolean } | undefined>;
  ready(): Promise<void>;
  close(): Promise<void>;
  processInbox?(): Promise<number>;
  listDeadLetters?(query?: object): Promise<{ id: string }[]>;
}

/** A receiver mounted in an Express app, counting its handler runs by event id. */
export interface Instance {
  readonly app: Express;
  readonly webhooks: AnyWebhooks;
  /** Handler runs by event id. */
  readonly runs: Map<string, number>;
  /** Events whose handlers throw (each run counted first). */
  readonly failing: Set<string>;
}

export function mount(webhooks: AnyWebhooks): Instance {
  const runs = new Map<string, number>();
  const failing = new Set<string>();
  webhooks.onEvent((event) => {
    runs.set(event.id, (runs.get(event.id) ?? 0) + 1);
    if (failing.has(event.id)) throw new Error(`handler of ${event.id} fails`);
  });
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  return { app, webhooks, runs, failing };
}

/** Handler runs of every instance, by event id. */
export function runsOf(...instances: Instance[]): Map<string, number> {
  const all = new Map<string, number>();
  for (const { runs } of instances) for (const [id, n] of runs) all.set(id, (all.get(id) ?? 0) + n);
  return all;
}

interface Module {
  createTokenWebhooks(options: object): AnyWebhooks;
}

/** The storage classes of one release, by store. */
type StorageClass = new (options: object) => Storage;

/** One store that every release can use, and where one test's data lives in it. */
export interface Store {
  readonly name: 'SQLite' | 'PostgreSQL' | 'Redis';
  readonly probe: () => Promise<void>;
  readonly hint: string;
  /** A fresh place in the store (a file, a schema, a key prefix): the options each release's adapter takes. */
  place(): { readonly options: object; readonly cleanup: () => Promise<void> };
  /** This release's adapter. */
  current(options: object): Storage;
  /** The module path of a release's adapter, under its `dist/lib`. */
  readonly module: string;
  readonly exportName: string;
}

export const STORES: readonly Store[] = [
  {
    name: 'SQLite', probe: async () => undefined, hint: '', module: 'storage/sqlite.js', exportName: 'SqliteStorage',
    place: () => {
      const dir = mkdtempSync(join(tmpdir(), 'ntw-upgrade-'));
      return { options: { path: join(dir, 'ledger.db') }, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    current: (options) => new SqliteStorage(options as { path: string }),
  },
  {
    name: 'PostgreSQL', probe: probePostgres, hint: 'Start PostgreSQL on 127.0.0.1:5432.', module: 'storage/postgres.js', exportName: 'PostgresStorage',
    place: () => {
      const schema = uniqueName('ntw_upgrade_');
      return { options: { connectionString: DATABASE_URL, schema }, cleanup: () => dropSchema(schema) };
    },
    current: (options) => new PostgresStorage(options as { connectionString: string; schema: string }),
  },
  {
    name: 'Redis', probe: probeRedis, hint: 'Start Redis on 127.0.0.1:6379.', module: 'storage/redis.js', exportName: 'RedisStorage',
    place: () => {
      const prefix = uniqueName('ntw-upgrade-');
      return { options: { url: REDIS_URL, keyPrefix: `${prefix}:` }, cleanup: () => deleteKeys(prefix).then(() => undefined) };
    },
    current: (options) => new RedisStorage(options as { url: string; keyPrefix: string }),
  },
];

/** A receiver of this release on `storage`. */
export function currentInstance(storage: Storage, options: Omit<TokenWebhooksOptions, 'storage'> = {}): Instance {
  return mount(createTokenWebhooks({ pruneIntervalMs: false, ...options, storage } as TokenWebhooksOptions) as unknown as AnyWebhooks);
}

/** An earlier release, built from its commit: its receivers on a store's place. */
export interface Release {
  instance(store: Store, place: object, options?: object): Instance;
}

export async function loadRelease(name: ReleaseName): Promise<Release> {
  const home = await releaseBuild(name);
  const lib = join(home, 'dist', 'lib');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(join(lib, 'index.js')) as Module;
  return {
    instance(store, place, options = {}) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Storage = (require(join(lib, store.module)) as Record<string, StorageClass>)[store.exportName]!;
      return mount(module.createTokenWebhooks({ pruneIntervalMs: false, ...options, storage: new Storage(place) }));
    },
  };
}

/**
 * Register a `before` hook that builds release `name` (once; kept under the temp folder), skipping the suite with
 * the reason when this clone does not hold its commit, except under CI=true, where a missing release fails.
 */
export function needsRelease(name: ReleaseName): { release?: Release } {
  const holder: { release?: Release } = {};
  before(async function () {
    this.timeout(300_000);
    if (!hasRelease(name)) {
      const why = `this clone does not hold the commit of release ${name} (a shallow clone?)`;
      if (process.env.CI === 'true') throw new Error(`${why}; the upgrade tests need the repository's history`);
      // eslint-disable-next-line no-console
      console.warn(`      skipping the upgrade tests from ${name}: ${why}`);
      this.skip();
    }
    holder.release = await loadRelease(name);
  });
  return holder;
}

/** A POST of `body` to the instance's TokenEx endpoint, authenticated. */
export const send = (instance: Instance, body: string) => request(instance.app).post('/webhooks/tokenex')
  .set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(body);

/** What a test on one store is given: the store, its own place there, and a way to have instances closed after it. */
export interface StoreTest {
  readonly store: Store;
  /** The adapter options of this test's place in the store (a file, a schema, a key prefix), made anew for each test. */
  options(): object;
  /** Close `instance` after the test. */
  keep(instance: Instance): Instance;
  /** Close every instance kept so far, now. */
  closeKept(): Promise<void>;
}

/** `register`'s tests, once on each store (those of a service that does not answer skip, except under CI=true). */
export function onEachStore(register: (test: StoreTest) => void): void {
  for (const store of STORES) {
    describe(`on ${store.name}`, function () {
      if (store.name !== 'SQLite') needsService(store.name, store.probe, store.hint);
      let place: ReturnType<Store['place']>;
      const open: Instance[] = [];
      beforeEach(() => { place = store.place(); });
      const closeKept = async () => { await Promise.all(open.splice(0).map((i) => i.webhooks.close().catch(() => undefined))); };
      afterEach(async () => {
        await closeKept();
        await place.cleanup();
      });
      register({ store, options: () => place.options, keep: (instance) => { open.push(instance); return instance; }, closeKept });
    });
  }
}
