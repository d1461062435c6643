import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromiumMissing, chromiumPath, DEBIAN_CHROMIUM } from './chromium';

const ROOT = join(__dirname, '..', '..');
const MOCHA = require.resolve('mocha/bin/mocha.js');
/** A bound on one run of the browser suite, well below the 120 s its hooks may take: a hang fails, it never passes. */
const BOUND_MS = 60_000;

/** Run the browser suite alone in a child mocha, with `env` on top of this process's (less CI and CHROMIUM). */
function browserSuite(env: NodeJS.ProcessEnv): Promise<{ exitCode: number; killed: boolean; output: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.CI;
  delete base.CHROMIUM;
  return new Promise((resolve) => {
    execFile(process.execPath, [MOCHA, 'test/console/browser.test.ts'], { cwd: ROOT, env: { ...base, ...env }, timeout: BOUND_MS },
      (error, stdout, stderr) => {
        const failure = error as (Error & { code?: unknown; killed?: boolean }) | null;
        resolve({ exitCode: typeof failure?.code === 'number' ? failure.code : failure ? -1 : 0, killed: failure?.killed === true, output: stdout + stderr });
      });
  });
}

describe('the browser tests without a browser', function () {
  this.timeout(BOUND_MS + 10_000);

  it('drive CHROMIUM when it is set, else Debian\'s chromium', () => {
    expect(chromiumPath({})).to.equal(DEBIAN_CHROMIUM);
    expect(chromiumPath({ CHROMIUM: '' })).to.equal(DEBIAN_CHROMIUM);
    expect(chromiumPath({ CHROMIUM: '/opt/chrome/chrome' })).to.equal('/opt/chrome/chrome');
  });

  it('find a browser missing, not executable or not a file, and fail for it under CI=true only', () => {
    const hint = "install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM to the path of a Chromium or Chrome";
    expect(chromiumMissing({ CHROMIUM: '/nonexistent/chromium' })).to.deep.equal({ reason: `the browser /nonexistent/chromium is missing: ${hint}`, fail: false });
    expect(chromiumMissing({ CHROMIUM: join(ROOT, 'package.json') })?.reason).to.match(/package\.json is not executable: /);
    expect(chromiumMissing({ CHROMIUM: ROOT })?.reason).to.match(/ is not a file: /);
    expect(chromiumMissing({ CHROMIUM: '/nonexistent/chromium', CI: 'true' })?.fail).to.equal(true);
    expect(chromiumMissing({ CHROMIUM: process.execPath, CI: 'true' })).to.equal(undefined);
  });

  it('are skipped with the reason on a developer machine, and the run passes', async () => {
    const run = await browserSuite({ CHROMIUM: '/nonexistent/chromium' });
    expect(run.killed, `the run did not end within ${BOUND_MS} ms:\n${run.output}`).to.equal(false);
    expect(run.exitCode, run.output).to.equal(0);
    expect(run.output).to.include('skipping the browser tests: the browser /nonexistent/chromium is missing: install Debian\'s chromium package');
    expect(run.output).to.match(/^ {2}4 pending$/m).and.not.match(/failing/);
  });

  it('fail with the reason under CI=true', async () => {
    const run = await browserSuite({ CHROMIUM: '/nonexistent/chromium', CI: 'true' });
    expect(run.killed, `the run did not end within ${BOUND_MS} ms:\n${run.output}`).to.equal(false);
    expect(run.exitCode, run.output).to.equal(1);
    expect(run.output).to.include('the browser tests must run under CI=true: the browser /nonexistent/chromium is missing');
    expect(run.output).to.match(/^ {2}1 failing$/m).and.not.match(/skipping/);
  });
});
