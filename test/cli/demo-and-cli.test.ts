import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { buildPayload } from '../../lib/testing';

const ROOT = resolve(__dirname, '../..');

/** Runs the CLI as `npm run cli -- …` does (without npm's own start-up), answering its exit code and output. */
function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'lib/cli/main.ts'), ...args], { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The words of a printed `npm run cli -- …` command, after the `--`. */
const cliArgs = (line: string) => line.trim().replace(/^npm run cli -- /, '').split(/\s+/);

describe('the demo receiver (npm start) and the sender CLI', function () {
  this.timeout(90_000);
  let demo: ChildProcess;
  let output = '';
  let url = '';
  const dir = mkdtempSync(join(tmpdir(), 'ntw-cli-'));

  before(async () => {
    demo = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: '0', STORAGE: 'memory' }, stdio: ['ignore', 'pipe', 'pipe'] });
    demo.stdout!.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    demo.stderr!.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    await new Promise<void>((ready, fail) => {
      const check = () => { if (output.includes('Then ask for a token')) ready(); };
      demo.stdout!.on('data', check);
      demo.once('exit', (code) => fail(new Error(`npm start exited (${code}): ${output}`)));
    });
    url = /demo on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
  });

  after(() => {
    if (demo.exitCode === null) demo.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const printed = (pattern: RegExp) => output.split('\n').filter((line) => pattern.test(line));

  it('prints a ready-to-run command per provider, and each one is accepted', async () => {
    const commands = printed(/npm run cli -- send /);
    expect(commands.map((line) => cliArgs(line)[1])).to.deep.equal(['cybersource', 'tokenex', 'ni', 'firstoken']);
    const runs = await Promise.all(commands.map((line) => cli(cliArgs(line))));
    for (const [i, run] of runs.entries()) {
      expect(run.code, `${commands[i]}\n${run.stdout}${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^#1 200 accepted id=\S+$/m);
      expect(run.stdout).to.match(/^sent 1; 200: 1; p50 [\d.]+ ms, p99 [\d.]+ ms$/m);
    }
    expect(output).to.match(/SUSPENDED\s+cybersource/).and.match(/ACTIVE\s+tokenex/).and.match(/DELETED\s+ni/).and.match(/ACTIVE\s+firstoken/);
  });

  it('sends a burst with provider-style retries, concurrently, and sums the answers up', async () => {
    const tokenex = cliArgs(printed(/send tokenex/)[0]!);
    const run = await cli([...tokenex, '--repeat', '40', '--duplicate-rate', '0.5', '--concurrency', '4', '--quiet']);
    expect(run.code).to.equal(0);
    expect(run.stdout.trim()).to.match(/^sent 40; 200: 40; p50 [\d.]+ ms, p99 [\d.]+ ms$/);
  });

  it('prints each refusal with its documented code, and exits non-zero', async () => {
    const tokenex = cliArgs(printed(/send tokenex/)[0]!).map((word) => (word === 'demo-bearer-token-change-me' ? 'a-wrong-bearer-secret-0123' : word));
    const run = await cli(tokenex);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.match(/^#1 401 refused unauthorized$/m).and.match(/^sent 1; 401: 1;/m);
  });

  it('sign prints the headers that authenticate a body, as curl takes them', async () => {
    const body = JSON.stringify(buildPayload('tokenex', 'deleted'));
    const file = join(dir, 'body.json');
    writeFileSync(file, body);
    const args = cliArgs(printed(/npm run cli -- sign /)[0]!).map((word) => (word === 'body.json' ? file : word));
    const run = await cli(args);
    expect(run.code).to.equal(0);
    const headers = Object.fromEntries(run.stdout.trim().split('\n').map((line) => {
      const [, name, value] = /^-H '([^:]+): (.*)'$/.exec(line)!;
      return [name!, value!];
    }));
    expect(headers).to.have.keys('content-type', 'authorization');
    const res = await fetch(`${url}/webhooks/tokenex`, { method: 'POST', headers, body });
    expect(res.status).to.equal(200);
  });

  it('prints the console URL and its sign-in, which open it; without them it is refused', async () => {
    const [line] = printed(/^Operations console: /);
    const [, consoleUrl, user, password] = /^Operations console: (\S+) \(sign in as (\S+) \/ ([^;\s)]+)/.exec(line ?? '') ?? [];
    expect(consoleUrl, output).to.equal(`${url}/ops/token-webhooks/`);
    expect((await fetch(consoleUrl!)).status).to.equal(401);
    const page = await fetch(consoleUrl!, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } });
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('Newest deliveries').and.include('tokenex');
  });

  it('stopping npm start stops the server', async () => {
    const exited = once(demo, 'exit');
    demo.kill('SIGTERM'); // the npm process, as `kill <pid>` of `npm start` does
    await exited;
    // the receiver itself (a child of npm's shell) goes too: the port stops answering
    for (;;) {
      const refused = await fetch(`${url}/health`).then(() => false, () => true);
      if (refused) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
