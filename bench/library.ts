/**
 * The library as the benchmarks run it: the build users install (`dist/`, emitted by `npm run build`), not the
 * TypeScript sources through the benchmarks' own transpiler (tsx), whose helpers would be measured as ours
 * (it wraps every function made at run time in `__name(fn, ...)`, an `Object.defineProperty` per closure per
 * request). `BENCH_LIB=source` runs the sources instead, for profiling with line numbers.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './config';

const fromSource = process.env.BENCH_LIB === 'source';

/** A module of the library, by its path under `lib/` (`'index'`, `'storage/postgres'`), typed as its source. */
export function library<T>(modulePath: string): T {
  return require(join(ROOT, fromSource ? 'lib' : 'dist/lib', modulePath)) as T;
}

/**
 * Builds `dist/` from the current sources (skipped with `BENCH_LIB=source`), so a run never measures a stale build.
 * `BENCH_BUILD=skip` uses the build there is: for a benchmark started while another one's servers load it.
 */
export function buildLibrary(): void {
  if (fromSource || process.env.BENCH_BUILD === 'skip') return;
  const started = Date.now();
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`built dist/ from lib/ in ${((Date.now() - started) / 1000).toFixed(1)} s (BENCH_LIB=source runs the sources instead)`);
}
