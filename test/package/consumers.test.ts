import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Finished } from './npm';
import { install, pack, printed, run } from './npm';
import type { TarFile } from './tarball';
import { declarationImports, readTarball } from './tarball';

// The package as users get it: packed once, its tarball read, then installed into small projects (fixtures/)
// that use it as CommonJS on Express 4, as ES modules on Express 5, and from strict TypeScript.

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(__dirname, 'fixtures');
const CYBERSOURCE_SEED = join(ROOT, 'test', 'providers', 'cybersource', 'fixtures', 'network-token-suspended.json');
const TOKENEX_SEED = join(ROOT, 'test', 'providers', 'tokenex', 'fixtures', 'request.json');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string; main: string; types: string; license: string; bin: Record<string, string>; dependencies: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>; typesVersions: Record<string, Record<string, string[]>>;
  repository?: { url?: string }; homepage?: string; bugs?: { url?: string }; type?: string; scripts: Record<string, string>;
  engines: { node: string }; peerDependencies: Record<string, string>; peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
const RUN_MS = 60_000;
const TSC = require.resolve('typescript/bin/tsc');

/** The `.ts` files under `dir`, relative to it. */
function sources(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => f.split('\\').join('/'));
}

/** What a fixture script printed, as JSON, or the failure with all it printed. */
function report<T>(finished: Finished): T {
  expect(finished.code, printed(finished)).to.equal(0);
  return JSON.parse(finished.stdout) as T;
}

/** Run the tasks `width` at a time (more would only make them wait for the CPU); their results by name. */
async function inTurns<T>(tasks: readonly (readonly [string, () => Promise<T>])[], width: number): Promise<[string, T][]> {
  const results: [string, T][] = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const [name, task] = tasks[next++]!;
      results.push([name, await task()]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker));
  return results;
}

describe('the published package', () => {
  let work: string;
  let tarball: string;
  let files: Map<string, TarFile>;
  const text = (path: string) => files.get(path)!.content.toString('utf8');

  before(async function () {
    this.timeout(200_000); // the build and the pack; well under a minute on this machine
    work = await mkdtemp(join(tmpdir(), 'ntw-consumers-'));
    tarball = await pack(ROOT, work);
    files = readTarball(tarball);
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('the tarball', () => {
    it('holds the build, the schemas, README, LICENSE and package.json: no tests, benchmarks, sources or source maps', () => {
      const unexpected = [...files.keys()].filter((p) => !/^(README\.md|LICENSE|package\.json|schemas\/[\w-]+\.schema\.json|dist\/lib\/[\w/-]+\.(js|d\.ts))$/.test(p));
      expect(unexpected).to.deep.equal([]);
      expect([...files.keys()].filter((p) => !p.startsWith('dist/')).sort()).to.deep.equal([
        'LICENSE', 'README.md', 'package.json', ...readdirSync(join(ROOT, 'schemas')).map((f) => `schemas/${f}`).sort(),
      ].sort());
      expect(text('LICENSE')).to.match(/^MIT License\n\nCopyright \(c\) \d{4} network-token-webhooks contributors\n/);
    });

    it('has one module and one declaration for each source file of lib/, and nothing stale', () => {
      const expected = sources(join(ROOT, 'lib')).flatMap((f) => [`dist/lib/${f.replace(/\.ts$/, '.js')}`, `dist/lib/${f.replace(/\.ts$/, '.d.ts')}`]);
      expect([...files.keys()].filter((p) => p.startsWith('dist/')).sort()).to.deep.equal(expected.sort());
    });

    it('names in package.json only files it ships; license, repository, homepage and issues are filled in', () => {
      const shipped = JSON.parse(text('package.json')) as typeof MANIFEST;
      const targets = [shipped.main, shipped.types, ...Object.values(shipped.bin), ...Object.values(shipped.typesVersions['*']!).flat(),
        ...Object.entries(shipped.exports).filter(([subpath]) => !subpath.includes('*'))
          .flatMap(([, target]) => (typeof target === 'string' ? [target] : [target.types, target.default]))];
      expect(targets.map((t) => t.replace(/^\.\//, '')).filter((t) => !files.has(t))).to.deep.equal([]);
      expect(Object.keys(shipped.typesVersions['*']!).map((s) => `./${s}`).sort())
        .to.deep.equal(Object.keys(shipped.exports).filter((s) => s !== '.' && !s.includes('*') && !s.endsWith('.json')).sort());
      expect([shipped.license, shipped.repository?.url, shipped.homepage, shipped.bugs?.url].every(Boolean), JSON.stringify(shipped)).to.equal(true);
    });

    it('states CommonJS, builds when packed (no install script), names Node 20 and 22, and bounds every peer, express optional', () => {
      const shipped = JSON.parse(text('package.json')) as typeof MANIFEST;
      expect(shipped.type).to.equal('commonjs');
      expect(Object.keys(shipped.scripts).filter((s) => /^(pre|post)?(install|prepare)$/.test(s))).to.deep.equal([]);
      expect(shipped.scripts.prepack).to.equal('npm run build');
      expect(shipped.engines.node).to.equal('^20.19.0 || ^22.12.0');
      // Each alternative of each range has an upper bound: a caret, a tilde, or a `<`.
      const unbounded = Object.entries(shipped.peerDependencies).filter(([, range]) => range.split('||').some((r) => !/^\s*([\^~]\d|.*<\s*\d)/.test(r)));
      expect(unbounded).to.deep.equal([]);
      expect(Object.keys(shipped.peerDependencies).filter((name) => shipped.peerDependenciesMeta[name]?.optional !== true)).to.deep.equal([]);
      // Nor does a dependency bring Express in as its own peer (express-rate-limit did): receiver() users need none of it.
      expect(Object.keys(shipped.dependencies)).to.not.include.members(['express', 'express-rate-limit']);
      const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; peer?: boolean }> };
      expect(lock.packages['node_modules/express']?.dev, 'express is installed for the tests only').to.equal(true);
    });

    it('ships the bin executable, with a shebang', () => {
      const bin = files.get(MANIFEST.bin['network-token-webhooks']!)!;
      expect(bin.content.toString('utf8').split('\n')[0]).to.equal('#!/usr/bin/env node');
      expect((bin.mode & 0o111).toString(8)).to.equal('111');
    });

    it('loads mocha from the storage conformance module only', () => {
      const naming = [...files.keys()].filter((p) => p.endsWith('.js') || p.endsWith('.d.ts')).filter((p) => /['"]mocha['"]/.test(text(p)));
      expect(naming).to.deep.equal(['dist/lib/testing/storage-conformance.js']);
    });

    it('has declarations that need nothing beyond @types/node and its dependencies, but for each adapter its own driver', () => {
      const own = new Set([...Object.keys(MANIFEST.dependencies), 'node']);
      const needs = Object.fromEntries(Object.entries(MANIFEST.exports).filter(([, target]) => typeof target !== 'string').map(([subpath, target]) => [
        subpath, [...declarationImports(files, (target as { types: string }).types.replace(/^\.\//, ''))].filter((s) => !s.startsWith('node:') && !own.has(s)).sort(),
      ]));
      // The README's Install section lists these: @types/pg for ./postgres; ioredis and fastify have their own types.
      expect(needs).to.deep.equal({
        '.': [], './sqlite': [], './postgres': ['pg'], './redis': ['ioredis'], './testing': [], './testing/storage': [], './storage-kit': [],
        './fastify': ['fastify'],
      });
    });
  });

  describe('installed into consumer projects', () => {
    const projects = {
      cjs: { fixture: 'cjs-express4', add: [] as string[] },
      esm: { fixture: 'esm-express5', add: [] },
      types: { fixture: 'types', add: [] },
      drivers: { fixture: 'types', add: ['@types/pg@^8', 'ioredis@^5'] },
    };
    const dir = (project: keyof typeof projects) => join(work, project);
    /** What each check printed: all run in the `before` hook, a few at a time, so the tests below only read. */
    let checks: Record<'cjs' | 'esm' | 'conformance' | 'nodeTest' | 'help' | 'sign' | 'nodenext' | 'bundler' | 'node10' | 'drivers', Finished>;
    /** What each project's install printed. */
    let installed: Record<string, Finished>;

    before(async function () {
      this.timeout(600_000); // installs from npm's cache and the checks take seconds; the bound is for a cold cache on a slow registry
      const installs = await Promise.all(Object.entries(projects).map(async ([name, { fixture, add }]) => {
        cpSync(join(FIXTURES, fixture), join(work, name), { recursive: true });
        return { name, ...(await install(join(work, name), [relative(join(work, name), tarball), ...add])) };
      }));
      const unreachable = installs.find((i) => i.unreachable);
      if (unreachable) {
        const why = `npm can reach neither its cache nor the registry (${printed(unreachable.finished).split('\n').find((l) => /error/i.test(l)) ?? 'npm ping failed'})`;
        if (process.env.CI === 'true') throw new Error(`${why}; under CI=true the consumer tests must run`);
        // eslint-disable-next-line no-console
        console.warn(`      skipping the consumer tests: ${why}. They install from npm's cache once a first install has filled it.`);
        this.skip();
      }
      for (const { name, finished } of installs) expect(finished.code, `npm install in the ${name} project: ${printed(finished)}`).to.equal(0);
      installed = Object.fromEntries(installs.map(({ name, finished }) => [name, finished]));

      const bin = (...args: string[]) => () => run(join(dir('cjs'), 'node_modules', '.bin', 'network-token-webhooks'), args, dir('cjs'), RUN_MS);
      const node = (project: keyof typeof projects, ...args: string[]) => () => run(process.execPath, args, dir(project), RUN_MS);
      const tsc = (project: keyof typeof projects, config: string) => node(project, TSC, '-p', `tsconfig.${config}.json`);
      const started = {
        cjs: node('cjs', 'app.cjs', CYBERSOURCE_SEED),
        esm: node('esm', 'app.mjs', TOKENEX_SEED),
        conformance: node('esm', join('node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'json', 'conformance.spec.mjs'),
        nodeTest: node('esm', '--test', '--test-reporter=tap', 'conformance.node.mjs'),
        help: bin('--help'),
        sign: bin('sign', 'cybersource', '--file', CYBERSOURCE_SEED, '--key-id', 'cli-key', '--key', Buffer.alloc(32, 9).toString('base64')),
        nodenext: tsc('types', 'nodenext'),
        bundler: tsc('types', 'bundler'),
        node10: tsc('types', 'node10'),
        drivers: tsc('drivers', 'drivers'),
      };
      checks = Object.fromEntries(await inTurns(Object.entries(started), availableParallelism())) as typeof checks;
    });

    it('installs without an install script for npm to approve (the build runs when the package is packed)', () => {
      for (const [name, finished] of Object.entries(installed)) expect(printed(finished), name).to.not.include('install-scripts');
    });

    interface CjsReport {
      signed: { status: number; body: unknown };
      unsigned: { status: number; body: { error: { code: string } } };
      fired: { handler: string; type: string; tokenRef: string }[];
      state: { state: string } | null;
      exports: Record<string, string[]>;
      withoutDrivers: Record<string, { thrown: boolean; code?: string; message?: string }>;
      conformanceWithoutMocha: { thrown: boolean; code?: string; message?: string };
      schemaId: string;
      version: string;
      unexported: { thrown: boolean; code?: string };
    }

    it('CommonJS on Express 4: a Cybersource seed fixture signed with its v-c-signature runs onSuspended; unsigned, it is refused', async () => {
      const cjs = report<CjsReport>(checks.cjs);
      expect(cjs.signed).to.deep.equal({ status: 200, body: { received: true, id: '3904B9E29F574360xxxxAF598E0AB766', duplicate: false } });
      expect([cjs.unsigned.status, cjs.unsigned.body.error.code]).to.deep.equal([401, 'unauthorized']);
      expect(cjs.fired).to.deep.equal([
        { handler: 'onSuspended', type: 'token.suspended', tokenRef: '38F377C4044F25XXXX63AF598E0A8B67' },
        { handler: 'onEvent', type: 'token.suspended', tokenRef: '38F377C4044F25XXXX63AF598E0A8B67' },
      ]);
      expect(cjs.state?.state).to.equal('SUSPENDED');
    });

    it('CommonJS: every subpath loads without a driver or mocha (the storage kit too); what is missing is named, with the package to install', async () => {
      const cjs = report<CjsReport>(checks.cjs);
      expect(cjs.exports).to.deep.equal({
        sqlite: ['SQLITE_TIMEOUT_MS', 'SqliteStorage'], postgres: ['POSTGRES_TIMEOUT_MS', 'PostgresStorage'], redis: ['REDIS_TIMEOUT_MS', 'RedisStorage'],
        testing: ['authHeaders', 'buildPayload', 'cybersourceSignature', 'deliver', 'firstokenSignature', 'niAccessToken', 'readJsonAcknowledgement', 'receive', 'sharedSecretHeaders', 'signDelivery'],
        storageKit: [
          'Coalescer', 'ENTRY_COLUMNS', 'ENTRY_STATUSES', 'HISTORY_COLUMNS', 'HISTORY_MAX', 'LEDGER_COLUMNS', 'OPEN_STATUSES_SQL', 'REFUSALS_KEPT_MS', 'REQUEUEABLE_STATUSES',
          'STATE_COLUMNS', 'STATS_BUCKET_MS', 'TIME_COLUMNS',
          'admissionOf', 'admitConformance', 'admittedEntry', 'appendBounded', 'changeOf', 'checkOptionNames', 'closeWithin', 'cursorOf',
          'decideProjection', 'entryFromRow', 'extendConformance', 'historyConformance', 'historyFromJson', 'idsConformance', 'isDue',
          'latestVersion', 'leaseConformance', 'listingConformance', 'maySettle', 'mergeRefusals', 'minuteOf', 'pendingSteps',
          'persistenceConformance', 'probeConformance', 'project', 'publicEntry', 'refusalsConformance', 'requeueConformance',
          'requeuedAttempt', 'retentionConformance', 'runStorageConformance', 'schemaBehind', 'schemaNewer', 'searchConformance',
          'settleConformance', 'settledAttempt', 'settledEntry', 'stateFromRow', 'statsConformance', 'statsWindow', 'takenEntry',
          'timeoutMsOption', 'tokenStateConformance',
        ],
      });
      expect(cjs.withoutDrivers).to.deep.equal({
        sqlite: { thrown: true, code: 'ERR_NTW_DRIVER_MISSING', message: 'SqliteStorage needs the package "better-sqlite3": npm install better-sqlite3 (ERR_NTW_DRIVER_MISSING)' },
        postgres: { thrown: true, code: 'ERR_NTW_DRIVER_MISSING', message: 'PostgresStorage needs the package "pg": npm install pg (ERR_NTW_DRIVER_MISSING)' },
        redis: { thrown: true, code: 'ERR_NTW_DRIVER_MISSING', message: 'RedisStorage needs the package "ioredis": npm install ioredis (ERR_NTW_DRIVER_MISSING)' },
      });
      // ./testing/storage imports without mocha; running the suite asks for it.
      expect(cjs.conformanceWithoutMocha).to.deep.equal({
        thrown: true, code: 'ERR_NTW_DRIVER_MISSING', message: 'runStorageConformance needs the package "mocha": npm install mocha (ERR_NTW_DRIVER_MISSING)',
      });
      expect([cjs.schemaId, cjs.version]).to.deep.equal(['network-token-webhooks/cybersource.schema.json', MANIFEST.version]);
      expect(cjs.unexported).to.include({ thrown: true, code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
    });

    it('ES modules on Express 5: every subpath imports by name; the TokenEx seed fixture with its bearer runs onActive once', async () => {
      const esm = report<{
        delivered: unknown; again: unknown; withoutBearer: unknown; fired: unknown[]; exports: Record<string, string[]>; schemaId: string; version: string;
      }>(checks.esm);
      const id = '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7';
      expect(esm.delivered).to.deep.equal({ status: 200, acknowledgement: { accepted: true, duplicate: false, id } });
      expect(esm.again).to.deep.equal({ status: 200, acknowledgement: { accepted: true, duplicate: true, id } });
      expect(esm.withoutBearer).to.deep.equal({ status: 401, acknowledgement: { accepted: false, code: 'unauthorized' } });
      expect(esm.fired).to.deep.equal([{ handler: 'onActive', type: 'token.active', tokenRef: 'b2b92b5b-403d-4bd8-a756-6e415b86b291' }]);
      expect(esm.exports).to.deep.equal({
        root: ['function', 'function', 'function'], adapters: ['SqliteStorage', 'PostgresStorage', 'RedisStorage'],
        testing: ['buildPayload', 'deliver', 'runStorageConformance'],
        storageKit: ['admissionOf', 'runStorageConformance', 'timeoutMsOption'],
      });
      expect([esm.schemaId, esm.version]).to.deep.equal(['network-token-webhooks/tokenex.schema.json', MANIFEST.version]);
    });

    it('runs the storage conformance suite under the project\'s own mocha, by its first name and from the storage kit', async () => {
      const { stats } = report<{ stats: { tests: number; passes: number; failures: number; pending: number } }>(checks.conformance);
      expect(stats).to.deep.include({ tests: 98, passes: 98, failures: 0, pending: 0 });
    });

    it('runs the storage kit\'s conformance suite under node:test, with nothing but the package installed', () => {
      const finished = checks.nodeTest;
      expect(finished.code, printed(finished)).to.equal(0);
      const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(finished.stdout)?.[1]);
      expect({ tests: count('tests'), pass: count('pass'), fail: count('fail') }).to.deep.equal({ tests: 49, pass: 49, fail: 0 });
    });

    it('installs the bin: it prints its usage, and signs a body as the receiver verifies it', async () => {
      const help = checks.help;
      expect(help.code, printed(help)).to.equal(0);
      expect(help.stdout).to.match(/^Usage: network-token-webhooks /).and.include('send').and.include('sign');
      const sign = checks.sign;
      expect(sign.code, printed(sign)).to.equal(0);
      const [, t, sig] = /^-H 'v-c-signature: t=(\d+);keyId=cli-key;sig=([\w+/=]+)'$/m.exec(sign.stdout) ?? [];
      const expected = createHmac('sha256', Buffer.alloc(32, 9)).update(`${t}.`).update(readFileSync(CYBERSOURCE_SEED)).digest('base64');
      expect(sig, sign.stdout).to.equal(expected);
      expect(sign.stdout).to.include("-H 'content-type: application/json'");
    });

    it('strict TypeScript, moduleResolution nodenext, declarations checked: only the database adapters need their drivers\' types', () => {
      expect(checks.nodenext.stdout.trim().split('\n').map((line) => line.replace(/\(\d+,\d+\)/, '')), printed(checks.nodenext)).to.deep.equal([
        "node_modules/network-token-webhooks/dist/lib/storage/postgres.d.ts: error TS2307: Cannot find module 'pg' or its corresponding type declarations.",
        "node_modules/network-token-webhooks/dist/lib/storage/redis.d.ts: error TS2307: Cannot find module 'ioredis' or its corresponding type declarations.",
      ]);
    });

    for (const resolution of ['bundler', 'node10'] as const) {
      it(`strict TypeScript, moduleResolution ${resolution}: every subpath resolves to its declarations`, () => {
        expect(printed(checks[resolution])).to.equal('exit 0\n');
      });
    }

    it('strict TypeScript with @types/pg and ioredis installed: the adapters\' declarations check', () => {
      expect(printed(checks.drivers)).to.equal('exit 0\n');
    });
  });
});
