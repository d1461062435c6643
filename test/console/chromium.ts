import { accessSync, constants, statSync } from 'node:fs';

/** Debian's `chromium` package, which `.ci/run` installs when missing. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The browser the tests drive: the `CHROMIUM` variable when set (another Chromium or Chrome), else Debian's. */
export const chromiumPath = (env: NodeJS.ProcessEnv = process.env): string => env.CHROMIUM || DEBIAN_CHROMIUM;

/**
 * Whether the browser tests can run: `undefined` when they can; otherwise why not, and whether that skips them
 * (a developer's machine) or fails them (`CI=true`, where a skipped browser test would hide a broken page).
 */
export function chromiumMissing(env: NodeJS.ProcessEnv = process.env): { readonly reason: string; readonly fail: boolean } | undefined {
  const path = chromiumPath(env);
  let problem: string | undefined;
  try {
    if (!statSync(path).isFile()) problem = 'is not a file';
    else accessSync(path, constants.X_OK);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    problem = code === 'ENOENT' || code === 'ENOTDIR' ? 'is missing' : 'is not executable';
  }
  if (!problem) return undefined;
  const hint = "install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM to the path of a Chromium or Chrome";
  return { reason: `the browser ${path} ${problem}: ${hint}`, fail: env.CI === 'true' };
}

/** In a suite's `before`: fails it under `CI=true` without a browser, skips it elsewhere (saying why). */
export function needChromium(context: Mocha.Context): void {
  const missing = chromiumMissing();
  if (missing?.fail) throw new Error(`the browser tests must run under CI=true: ${missing.reason}`);
  if (missing) {
    console.log(`      skipping the browser tests: ${missing.reason}`);
    context.skip();
  }
}
