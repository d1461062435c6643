/** Where results go: bench/results/<timestamp>.json, latest.json and latest.svg. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RESULTS_DIR, ROOT } from './config';

/** An ISO timestamp usable as a file name on every system (no colons): 2025-01-02T03-04-05Z. */
export const fileStamp = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');

/** Writes the JSON under its timestamp and as latest.json, and any extra files; answers the paths written. */
export function writeResults(stamp: string, data: unknown, extra: Record<string, string> = {}, prefix = ''): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(data, null, 2)}\n`;
  const files: Record<string, string> = { [`${prefix}${stamp}.json`]: json, [`${prefix}latest.json`]: json, ...extra };
  return Object.entries(files).map(([name, content]) => {
    const path = join(RESULTS_DIR, name);
    writeFileSync(path, content);
    return relative(ROOT, path);
  });
}
