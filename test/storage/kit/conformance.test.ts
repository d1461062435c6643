import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { MemoryStorage } from '../../../lib';
import type { Storage } from '../../../lib';
import { ROOT } from '../../helpers/markdown';
import { probeConformance, runStorageConformance, statsConformance, tokenStateConformance } from '../../../lib/storage/kit';
import type { TestFunctions } from '../../../lib/storage/kit';

/** A runner of its own: it records what the suite registers, then runs it as mocha would, in order, hooks included. */
function recordingRunner(hooks: readonly ('before' | 'after' | 'beforeEach' | 'afterEach')[], context: object = {}) {
  type Body = (this: unknown, ...args: unknown[]) => Promise<void>;
  interface Suite { title: string; tests: { title: string; body: Body }[]; suites: Suite[]; hooks: Record<string, Body[]> }
  const root: Suite = { title: '', tests: [], suites: [], hooks: {} };
  let current = root;
  const hook = (kind: string) => (body: () => Promise<void>) => { (current.hooks[kind] ??= []).push(body as Body); };
  const fns: { -readonly [K in keyof TestFunctions]: TestFunctions[K] } = {
    describe: (title, body) => {
      const parent = current;
      current = { title, tests: [], suites: [], hooks: {} };
      parent.suites.push(current);
      body();
      current = parent;
    },
    it: (title, body) => { current.tests.push({ title, body: body as Body }); },
  };
  for (const kind of hooks) fns[kind] = hook(kind);
  const outcomes: string[] = [];
  const runSuite = async (suite: Suite, each: { before: Body[]; after: Body[] }): Promise<void> => {
    const around = { before: [...each.before, ...(suite.hooks.beforeEach ?? [])], after: [...(suite.hooks.afterEach ?? []), ...each.after] };
    for (const body of suite.hooks.before ?? []) await body.call(context);
    for (const test of suite.tests) {
      for (const body of around.before) await body.call(context);
      let skipped: string | undefined;
      const runnerContext = { ...context, skip: (reason: string) => { skipped = reason; } };
      await test.body.call(runnerContext, runnerContext).then(() => outcomes.push(skipped ? `skipped: ${test.title}` : `passed: ${test.title}`),
        (error: Error) => outcomes.push(`failed: ${test.title}: ${error.message}`));
      for (const body of around.after) await body.call(context);
    }
    for (const child of suite.suites) await runSuite(child, around);
    for (const body of suite.hooks.after ?? []) await body.call(context);
  };
  return { fns, outcomes, run: () => runSuite(root, { before: [], after: [] }) };
}

/** MemoryStorage that counts how often it was initialized and closed. */
function countedFactory() {
  const counts = { made: 0, initialized: 0, closed: 0 };
  const factory = (): Storage => {
    counts.made++;
    const storage = new MemoryStorage();
    return Object.assign(storage, { init: () => { counts.initialized++; }, close: () => { counts.closed++; } });
  };
  return { counts, factory };
}

describe('storage kit: the conformance suite', function () {
  it('runs under node:test with its functions injected: MemoryStorage and SQLite pass, a store without stats skips that group', async function () {
    this.timeout(120_000);
    const suite = join(ROOT, 'test', 'storage', 'kit', 'node-test-suite.ts');
    const { code, output } = await new Promise<{ code: number; output: string }>((done) => {
      execFile(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', suite], { cwd: ROOT, timeout: 110_000 },
        (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
    });
    const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1]);
    // 49 tests for MemoryStorage, 51 for SQLite (persistence too), and the operations group's 6 for the store without stats.
    assert.deepEqual({ code, tests: count('tests'), pass: count('pass'), fail: count('fail'), skipped: count('skipped') },
      { code: 0, tests: 106, pass: 100, fail: 0, skipped: 6 }, output);
    assert.equal(output.match(/# SKIP the store has no stats\(\)/g)?.length, 6, output);
  });

  it('opens the store once in before and closes it in after, around every group', async function () {
    const { counts, factory } = countedFactory();
    const runner = recordingRunner(['before', 'after']);
    runStorageConformance('counted', factory, runner.fns);
    await runner.run();
    assert.deepEqual(runner.outcomes.filter((o) => !o.startsWith('passed')), []);
    assert.equal(runner.outcomes.length, 49);
    assert.deepEqual(counts, { made: 1, initialized: 1, closed: 1 });
  });

  it('without before and after, opens the store in beforeEach and closes it after the last test (afterEach)', async function () {
    const { counts, factory } = countedFactory();
    const runner = recordingRunner(['beforeEach', 'afterEach']);
    tokenStateConformance('counted', factory, runner.fns);
    await runner.run();
    assert.deepEqual(runner.outcomes.map((o) => o.split(':')[0]), ['passed', 'passed', 'passed', 'passed']);
    assert.deepEqual(counts, { made: 1, initialized: 1, closed: 1 });
  });

  it('with describe and it alone, the first test opens the store, and nothing closes it', async function () {
    const { counts, factory } = countedFactory();
    const runner = recordingRunner([]);
    probeConformance('counted', factory, runner.fns);
    await runner.run();
    assert.deepEqual(runner.outcomes, ['passed: health() can ask it: its probe passes on a healthy store and leaves it as it was (without one, the read it makes instead answers)']);
    assert.deepEqual(counts, { made: 1, initialized: 1, closed: 0 });
  });

  it('tells the runner a test skipped through the context it hands the test; sets the bound where the context takes one', async function () {
    const bounds: number[] = [];
    const runner = recordingRunner(['before', 'after'], { timeout: (ms: number) => { bounds.push(ms); } });
    const withoutStats = (): Storage => new Proxy(new MemoryStorage(), { get: (target, name) => (name === 'stats' ? undefined : Reflect.get(target, name, target)) });
    statsConformance('no stats', withoutStats, runner.fns, { timeoutMs: 1234 });
    await runner.run();
    assert.equal(runner.outcomes.length, 6);
    assert.ok(runner.outcomes.every((o) => o.startsWith('skipped: ')), runner.outcomes.join('\n'));
    assert.ok(bounds.length >= 6 && bounds.every((ms) => ms === 1234), String(bounds));
  });
});
