import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printed, run } from '../package/npm';

const ROOT = resolve(__dirname, '..', '..');

/** The releases whose data and instances each release is tested against: the commit each was cut from. */
export const RELEASES = {
  '0.1.0': 'd955e0d6c22aa6cec1f15862ac52ca5990c7f186',
  '0.2.0': '847018029b0888a9e534372720a5aefc71e68b18',
  '0.3.0': '34a4407697952d25e7d7b9899deb3d1ada12766c',
} as const;

export type ReleaseName = keyof typeof RELEASES;

/** Whether this clone holds the release's commit (a shallow clone may not). */
export function hasRelease(name: ReleaseName): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${RELEASES[name]}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The release `name` built from its commit, as its package's `dist/lib` (beside its `schemas/`), under the system's
 * temp folder: built once per checkout by the first test that needs it and kept there for the next runs. Its dependencies
 * resolve to this checkout's (every dependency of an earlier release is one of ours). Returns the folder that holds `dist/`.
 */
export async function releaseBuild(name: ReleaseName): Promise<string> {
  const commit = RELEASES[name];
  // One build per checkout: its dependencies must be this checkout's own modules, the very files this process loads.
  // Two copies of better-sqlite3 (so of SQLite) in one process break SQLite's locks (https://www.sqlite.org/howtocorrupt.html,
  // 2.2.1): a clean clone's run once saw a 0.1 write vanish that way, through a build linked to another checkout.
  const checkout = createHash('sha256').update(realpathSync(ROOT)).digest('hex').slice(0, 8);
  const home = join(tmpdir(), `network-token-webhooks-release-${name}-${commit.slice(0, 12)}-${checkout}`);
  if (existsSync(join(home, 'built'))) return home;
  const staging = `${home}.${process.pid}.${Date.now()}`;
  mkdirSync(staging, { recursive: true });
  try {
    const archive = execFileSync('git', ['archive', '--format=tar', commit, 'lib', 'schemas', 'package.json', 'tsconfig.json', 'tsconfig.build.json'], { cwd: ROOT, maxBuffer: 64 << 20 });
    execFileSync('tar', ['-x', '-C', staging], { input: archive });
    symlinkSync(join(ROOT, 'node_modules'), join(staging, 'node_modules'), 'dir');
    // Its types may not all agree with today's @types packages: it is built for running, as it was released.
    const built = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', 'dist', '--noEmitOnError', 'false'], staging, 300_000);
    if (!existsSync(join(staging, 'dist', 'lib', 'index.js'))) throw new Error(`building ${name} failed: ${printed(built)}`);
    writeFileSync(join(staging, 'built'), `${commit}\n`);
    try {
      renameSync(staging, home);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another run built it meanwhile
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return home;
}
