import type { Storage } from '../../storage';

/**
 * The test functions of the runner the suite registers its tests with, passed in rather than read from globals, so
 * the suite runs under any runner that has `describe` and `it`: mocha (its globals or its module's exports), `node:test`,
 * vitest and jest (whose `beforeAll`/`afterAll` are `before`/`after` here).
 *
 * The store is opened (`factory`, then `init()`) in `before` and closed in `after`. Without `before`, it is opened in
 * `beforeEach`, or else by the first test that runs; without `after`, it is closed in `afterEach` once the last test of
 * the group ran, or else left open.
 */
export interface TestFunctions {
  readonly describe: (title: string, body: () => void) => unknown;
  /**
   * One test. The suite passes its bound in ms as a third argument, which jest and vitest take; under mocha it sets it
   * on the test's context instead; `node:test` has none by default.
   */
  readonly it: (title: string, body: () => Promise<void>, timeoutMs?: number) => unknown;
  readonly before?: (body: () => Promise<void>) => unknown;
  readonly after?: (body: () => Promise<void>) => unknown;
  readonly beforeEach?: (body: () => Promise<void>) => unknown;
  readonly afterEach?: (body: () => Promise<void>) => unknown;
}

export interface ConformanceOptions {
  /**
   * The store keeps its data in a database: the suite then checks that what one instance wrote,
   * a new instance from `factory` reads after `close()`. `factory` must return instances on the same database.
   */
  readonly persistent?: boolean;
  /** Upper bound, in ms, on waiting for a short lease to expire. Default 10000. */
  readonly expiryWaitMs?: number;
  /** The longest one test or hook may take, in ms, where the runner takes a bound (mocha, jest, vitest). Default `expiryWaitMs` + 20000. */
  readonly timeoutMs?: number;
}

/** Makes the store under test: a new instance each call, on the same database for a `persistent` store. */
export type StorageFactory = () => Storage | Promise<Storage>;

/**
 * One capability's tests, registered on their own: `admitConformance('MyStorage', factory, { describe, it, before, after })`
 * runs only the `admit` tests, against a store of their own. `runStorageConformance` runs every group, on one store.
 */
export interface ConformanceGroup {
  (name: string, factory: StorageFactory, tests: TestFunctions, options?: ConformanceOptions): void;
  /** The group's `describe` title: `admit`, `lease`, … */
  readonly title: string;
}

/** Thrown by `Conformance.skip`: the runner is told the test was skipped, where it can be told. */
class Skipped {
  constructor(readonly reason: string) {}
}

/** What the runner hands a test: mocha its context as `this`, `node:test` its context as `this` and first argument, vitest its context as first argument. */
interface RunnerContext {
  readonly skip?: (reason?: string) => void;
  readonly timeout?: (ms: number) => void;
}

const contextOf = (value: unknown): RunnerContext | undefined => (typeof value === 'object' && value !== null ? value as RunnerContext : undefined);

/** Open `factory`'s store, initialized. */
export async function openStorage(factory: StorageFactory): Promise<Storage> {
  const storage = await factory();
  await storage.init?.();
  return storage;
}

/** One registration of the suite: the store the groups share and the test functions they register with. */
export class Conformance {
  readonly expiryWaitMs: number;
  readonly persistent: boolean;
  private readonly timeoutMs: number;
  private opened: Promise<Storage> | undefined;
  private current: Storage | undefined;
  private registered = 0;
  private finished = 0;

  constructor(readonly factory: StorageFactory, private readonly fns: TestFunctions, options: ConformanceOptions) {
    this.expiryWaitMs = options.expiryWaitMs ?? 10_000;
    this.persistent = options.persistent === true;
    this.timeoutMs = options.timeoutMs ?? this.expiryWaitMs + 20_000;
  }

  /** The store under test: open while a test runs. */
  get storage(): Storage {
    if (!this.current) throw new Error('the storage conformance suite\'s store is not open: a test ran before its hooks');
    return this.current;
  }

  describe(title: string, body: () => void): void {
    this.fns.describe(title, body);
  }

  /** Register a test: it runs `body` with the store open, within the suite's bound. */
  test(title: string, body: () => Promise<void>): void {
    this.registered++;
    const { timeoutMs } = this;
    const self = this;
    // `...runner` rather than a named parameter: mocha and jest take a function that declares one for a callback-style test.
    this.fns.it(title, async function (this: unknown, ...runner: unknown[]) {
      contextOf(this)?.timeout?.(timeoutMs);
      await self.open();
      try {
        await body();
      } catch (error) {
        if (!(error instanceof Skipped)) throw error;
        const skip = [contextOf(this), contextOf(runner[0])].find((context) => typeof context?.skip === 'function');
        skip?.skip?.(error.reason); // mocha's throws to end the test; node:test's and vitest's mark it. jest has none: the test passes.
      }
    }, timeoutMs);
  }

  /** End the running test as skipped, because the store lacks an optional capability. */
  skip(reason: string): never {
    throw new Skipped(reason);
  }

  /** Register the hooks that open the store before the group's tests and close it after them. */
  hooks(): void {
    const { fns, timeoutMs } = this;
    const self = this;
    const hook = (register: ((body: () => Promise<void>) => unknown) | undefined, work: () => Promise<unknown>) => {
      register?.(async function (this: unknown) {
        contextOf(this)?.timeout?.(timeoutMs);
        await work();
      });
    };
    if (fns.before) hook(fns.before, () => this.open());
    else hook(fns.beforeEach, () => this.open());
    if (fns.after) hook(fns.after, () => this.close());
    else hook(fns.afterEach, async () => { if (++self.finished === self.registered) await self.close(); });
  }

  private open(): Promise<Storage> {
    this.opened ??= openStorage(this.factory).then((storage) => (this.current = storage));
    return this.opened;
  }

  private async close(): Promise<void> {
    const opened = this.opened;
    if (!opened) return;
    this.opened = undefined;
    this.current = undefined;
    const storage = await opened.catch(() => undefined);
    await storage?.close?.();
  }
}

/** A capability's tests, as the groups declare them. */
export interface GroupSpec {
  readonly title: string;
  /** Register the group's tests (inside its `describe`); `s.storage` is the open store while they run. */
  readonly register: (s: Conformance) => void;
}

/** Register `groups` under one `describe` for `name`, on one store. */
export function registerGroups(name: string, factory: StorageFactory, tests: TestFunctions, options: ConformanceOptions, groups: readonly GroupSpec[]): void {
  const s = new Conformance(factory, tests, options);
  s.describe(`storage conformance: ${name}`, () => {
    s.hooks();
    for (const group of groups) s.describe(group.title, () => group.register(s));
  });
}

/** The public form of a group: registered on its own, on a store of its own. */
export function conformanceGroup(spec: GroupSpec): ConformanceGroup {
  const group = (name: string, factory: StorageFactory, tests: TestFunctions, options: ConformanceOptions = {}) =>
    registerGroups(name, factory, tests, options, [spec]);
  return Object.assign(group, { title: spec.title });
}
