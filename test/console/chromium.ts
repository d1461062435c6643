import { existsSync } from 'node:fs';

/** Debian's `chromium` package; `.ci/run` installs it when missing. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the browser tests can run: `undefined` when they can; otherwise why not, and whether that skips them
 * (a developer's machine) or fails them (`CI=true`, where a skipped browser test would hide a broken page).
 */
export function chromiumMissing(path = CHROMIUM, env: NodeJS.ProcessEnv = process.env): { readonly reason: string; readonly fail: boolean } | undefined {
  if (existsSync(path)) return undefined;
  return { reason: `${path} is missing (install Debian's chromium package: apt-get install -y chromium)`, fail: env.CI === 'true' };
}
