import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { shellQuote } from '../../lib/cli/shell-quote';
import { builtinProviders } from '../../lib';
import { cli, ROOT, shell } from './support';

/** The words of a printed `npm run cli -- …` command, after the `--`. */
const cliArgs = (line: string) => line.trim().replace(/^npm run cli -- /, '').split(/\s+/);

describe('the demo receiver (npm start) and the sender CLI', function () {
  this.timeout(90_000);
  let demo: ChildProcess;
  let output = '';
  let url = '';
  // The demo's printed commands write body.json where they are run, as a user's would.
  const bodyFile = join(ROOT, 'body.json');
  const hadBody = existsSync(bodyFile);

  before(async () => {
    // In a process group of its own, so that after() can end the receiver too when the test that stops it did not run.
    demo = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, PORT: '0', STORAGE: 'memory' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
    try {
      process.kill(-demo.pid!, 'SIGKILL');
    } catch {
      // the group is gone: the last test stopped it
    }
    if (!hadBody) rmSync(bodyFile, { force: true });
  });

  const printed = (pattern: RegExp) => output.split('\n').filter((line) => pattern.test(line));

  it('prints a ready-to-run command per provider, and each one is accepted', async () => {
    const commands = printed(/npm run cli -- send /);
    // One per provider of the registry, each with its test kit's example kind.
    expect(commands.map((line) => cliArgs(line)[1])).to.deep.equal(Object.keys(builtinProviders));
    expect(commands.slice(0, 4).map((line) => cliArgs(line)[2])).to.deep.equal(['suspended', 'active', 'deleted', 'active']);
    const runs = await Promise.all(commands.map((line) => cli(cliArgs(line))));
    for (const [i, run] of runs.entries()) {
      expect(run.code, `${commands[i]}\n${run.stdout}${run.stderr}`).to.equal(0);
      expect(run.stdout).to.match(/^#1 200 accepted id=\S+$/m);
      expect(run.stdout).to.match(/^sent 1; 200: 1; p50 [\d.]+ ms, p99 [\d.]+ ms$/m);
      // the id printed is the event's, as the demo's handler prints it (NI's answer names a reference of its own)
      const id = /^#1 200 accepted id=(\S+)$/m.exec(run.stdout)![1]!;
      for (const start = Date.now(); !output.includes(` event=${id}`) && Date.now() - start < 10_000;) await new Promise((r) => setTimeout(r, 20));
      expect(output, commands[i]).to.include(` event=${id}`);
    }
    for (const line of commands) {
      const [, provider, kind] = cliArgs(line);
      expect(output, line).to.match(new RegExp(`${kind!.toUpperCase()}\\s+${provider}`));
    }
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

  it('every command it prints runs as printed: the sends, the token request, a body of your own sent by curl, the token\'s state', async function () {
    if (hadBody) this.skip(); // a body.json of someone's own is in the way
    const commands = output.split('\n').filter((line) => /^ {2}(npm run|curl) /.test(line)).map((line) => line.trim());
    expect(commands.filter((line) => line.startsWith('npm run cli -- send '))).to.have.length(Object.keys(builtinProviders).length);
    expect(commands).to.include('npm run --silent cli -- payload tokenex deleted > body.json');
    const runs: string[] = [];
    for (const command of commands) {
      const run = await shell(command);
      expect(run.code, `${command}\n${run.stdout}${run.stderr}`).to.equal(0);
      runs.push(`${command}\n${run.stdout}`);
      if (command.includes(' send ')) expect(run.stdout).to.match(/^#1 200 accepted id=\S+$/m);
      if (command.startsWith('curl ') && command.includes('/oauth/ni/token')) expect(JSON.parse(run.stdout)).to.include({ token_type: 'Bearer' });
      if (command.includes(' payload ')) expect(JSON.parse(readFileSync(bodyFile, 'utf8'))).to.have.property('networkTokenStateChangeNotification');
      if (command.includes(' sign ')) {
        expect(run.stdout).to.equal(`curl -sS -i -H 'content-type: application/json' -H 'authorization: Bearer demo-bearer-token-change-me' --data-binary ${shellQuote(`@${bodyFile}`)} '${url}/webhooks/tokenex'\n`);
        const sent = await shell(run.stdout);
        expect(sent.stdout, sent.stderr).to.match(/^HTTP\/1\.1 200 /).and.match(/^ntw-outcome: accepted\r$/m);
      }
      if (command.includes('/tokens/tokenex/')) expect(JSON.parse(run.stdout)).to.include({ state: 'DELETED' }); // the curl'd body's
    }
    expect(commands.findIndex((line) => line.includes('/tokens/'))).to.equal(commands.length - 1, runs.join('\n'));
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
