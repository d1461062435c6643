import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ROOT } from './helpers/markdown';

const TYPEDOC = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
const CONFIG = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as { entryPoints: string[]; out: string; treatWarningsAsErrors?: boolean };
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>; exports: Record<string, string | { types: string }>;
};

/** The sources of the package's entry points: each `exports` entry with types, `./dist/lib/x.d.ts` read as `lib/x.ts`. */
function exportedSources(): string[] {
  return Object.values(MANIFEST.exports).flatMap((target) => typeof target === 'string' ? [] : [target.types])
    .map((types) => types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts')).sort();
}

describe('the API reference (TypeDoc)', function () {
  this.timeout(60_000);

  it('documents every entry point package.json exports, into docs/api/, by `npm run docs:api`', () => {
    expect([...CONFIG.entryPoints].sort()).to.deep.equal(exportedSources());
    expect(CONFIG.out).to.equal('docs/api');
    expect(CONFIG.treatWarningsAsErrors).to.equal(true);
    expect(MANIFEST.scripts['docs:api']).to.equal('typedoc');
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8').split('\n')).to.include('docs/api/');
  });

  it('builds from the TSDoc without a warning or an error', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ntw-typedoc-'));
    try {
      const { code, output } = await new Promise<{ code: number; output: string }>((done) => {
        execFile(process.execPath, [TYPEDOC, '--out', out], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
          (error, stdout, stderr) => done({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }));
      });
      const problems = output.split('\n').filter((line) => /\[(warning|error)\]/.test(line));
      expect(problems, output).to.deep.equal([]);
      expect(code, output).to.equal(0);
      expect(existsSync(join(out, 'index.html'))).to.equal(true);
      for (const page of ['network-token-webhooks', 'network-token-webhooks_sqlite', 'network-token-webhooks_testing_storage', 'network-token-webhooks_storage-kit']) {
        expect(existsSync(join(out, 'modules', `${page}.html`)), page).to.equal(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
