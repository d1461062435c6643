import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface Finished {
  /** The exit code; `null` when the process was killed (then `signal` says how) or could not start. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a child npm, node or tsc: ours without what `npm test` sets for its own script
 * (`npm_config_local_prefix` would make a child npm treat this repository as its project).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(npm_(package_|lifecycle_|command$|config_(local_prefix|prefix|global_prefix|call|allow_scripts)$)|INIT_CWD$)/i.test(name)) delete env[name];
  }
  return env;
}

/** Run `command` to its end, killed after `timeoutMs` at the latest (a bound on a stuck install, not a verdict). Never rejects. */
export function run(command: string, args: readonly string[], cwd: string, timeoutMs: number): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: childEnv(), timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => err.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Everything a failed command printed, for an assertion message. */
export const printed = (finished: Finished) =>
  `exit ${finished.code ?? finished.signal ?? 'none'}\n${finished.stdout}${finished.stderr}`.replace(/^npm warn Unknown (user|env) config "nodedir".*\n/gm, '');

/** npm itself: the one running this test when there is one (`npm test`, `npx mocha`), else the `npm` on the PATH. */
const NPM = /npm-cli\.js$/.test(process.env.npm_execpath ?? '') ? [process.execPath, process.env.npm_execpath!] : ['npm'];
const npm = (args: readonly string[], cwd: string, timeoutMs: number) => run(NPM[0]!, [...NPM.slice(1), ...args], cwd, timeoutMs);

const PACK_MS = 180_000;
const INSTALL_MS = 240_000;

/** `npm pack` of the repository at `root` into `destination` (its `prepack` script builds first); the tarball's path. */
export async function pack(root: string, destination: string): Promise<string> {
  const packed = await npm(['pack', '--json', '--pack-destination', destination], root, PACK_MS);
  if (packed.code !== 0) throw new Error(`npm pack failed: ${printed(packed)}`);
  const [result] = JSON.parse(packed.stdout) as [{ filename: string }];
  return join(destination, result.filename);
}

/**
 * Install `packages` into the project at `dir`. From npm's cache alone first (no network, and a quick failure
 * when something is missing), then, if the registry answers a ping, from the cache or the registry.
 * `unreachable` is set when neither the cache nor the registry could serve the install. Scripts are not
 * ignored: what npm 11 prints about install scripts to approve is part of what users see.
 */
export async function install(dir: string, packages: readonly string[]): Promise<{ readonly finished: Finished; readonly unreachable: boolean }> {
  const args = ['install', '--no-audit', '--no-fund', ...packages];
  const cached = await npm([...args, '--offline'], dir, INSTALL_MS);
  if (cached.code === 0) return { finished: cached, unreachable: false };
  const ping = await npm(['ping', '--fetch-retries=0', '--fetch-timeout=10000'], dir, 30_000);
  if (ping.code !== 0) return { finished: ping, unreachable: true };
  return { finished: await npm([...args, '--prefer-offline', '--fetch-retries=1'], dir, INSTALL_MS), unreachable: false };
}
