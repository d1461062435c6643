/**
 * `npm run bench:work`: the work of one delivery in process, without HTTP (`webhooks.receiver(...)` on the
 * default MemoryStorage), for new events, duplicates and refusals (bad signature), per provider:
 *   instructions per delivery  `valgrind --tool=callgrind` counts the instructions of a run making N deliveries and
 *                              of one making none (the same start, warm-up and prepared deliveries): the difference / N.
 *                              Counted, not timed: the same on a busy machine (JIT and GC decisions still vary a little).
 *   bytes per delivery         heap bytes allocated by N deliveries, read as heapUsed after minus before with a new space
 *                              large enough that no collection runs in between (checked), divided by N.
 * Prints the figures and writes bench/results/work-<timestamp>.json and work-latest.json.
 *
 *   WORK_PROVIDERS=cybersource,tokenex   providers (default: every built-in one, and `hand-written`: Cybersource's
 *                                        deliveries to what a user hand-writes for the same checks, the reference)
 *   WORK_KINDS=new,duplicate,refused     kinds (default: all three)
 *   WORK_INSTRUCTIONS_N=1000             deliveries per callgrind run (0: skip callgrind)
 *   WORK_INSTRUCTIONS_PROVIDERS=cybersource  the providers counted under callgrind (default: WORK_PROVIDERS); a run
 *                                        takes minutes under valgrind, four runs a provider
 *   WORK_BYTES_N=2000                    deliveries per allocation reading
 *   WORK_WARMUP=150                      unmeasured deliveries of each kind before either
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitInstructions } from './callgrind-split';
import type { InstructionSplit } from './callgrind-split';
import { ROOT } from './config';
import { buildLibrary, library } from './library';
import { describeMachine, machine } from './report';
import { fileStamp, writeResults } from './results';
import { WORK_KINDS } from './work-deliveries';
import type { WorkKind } from './work-deliveries';

const list = (name: string, all: readonly string[]) => {
  const picked = (process.env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of picked) if (!all.includes(p)) throw new Error(`${name}: unknown ${p}; one of ${all.join(', ')}`);
  return picked.length ? picked : [...all];
};
const count = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
};

const INSTRUCTIONS_N = count('WORK_INSTRUCTIONS_N', 1000);
const BYTES_N = count('WORK_BYTES_N', 2000);
const WARMUP = count('WORK_WARMUP', 150);
const PARALLEL = 2;
const SCRIPT = join(__dirname, 'work-process.ts');

interface ProcessOutput { readonly bytes?: number; readonly collections: number; readonly statuses: Record<string, number> }

function run(args: readonly string[], env: Record<string, string>): Promise<{ out: ProcessOutput; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.split('\n').filter((l) => !l.startsWith('==')).slice(-5).join(' | ')}`));
      resolve({ out: JSON.parse(line) as ProcessOutput, stderr });
    });
  });
}

/** Runs `jobs` at most `PARALLEL` at a time (valgrind is slow, and the machine may be shared). */
async function pooled<T>(jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

const node = ['--require', 'tsx/cjs', SCRIPT];

async function instructions(provider: string, kind: WorkKind | 'none', n: number, dir: string): Promise<InstructionSplit> {
  const file = join(dir, `callgrind.${provider}.${kind}`);
  const env = { WORK_PROVIDER: provider, WORK_KIND: kind === 'none' ? 'new' : kind, WORK_N: String(n), WORK_BUILT: String(INSTRUCTIONS_N), WORK_WARMUP: String(WARMUP) };
  await run(['valgrind', '--tool=callgrind', `--callgrind-out-file=${file}`, process.execPath, '--single-threaded', '--expose-gc', ...node], env);
  return splitInstructions(file);
}

async function bytes(provider: string, kind: WorkKind): Promise<number> {
  const env = { WORK_PROVIDER: provider, WORK_KIND: kind, WORK_N: String(BYTES_N), WORK_WARMUP: String(WARMUP), WORK_MEASURE: 'bytes' };
  // A new space far larger than N deliveries allocate, so no scavenge runs between the two readings.
  const { out } = await run([process.execPath, '--expose-gc', '--max-semi-space-size=512', '--min-semi-space-size=512', ...node], env);
  if (out.collections) throw new Error(`${provider} ${kind}: ${out.collections} collection(s) ran during the reading; lower WORK_BYTES_N`);
  return out.bytes! / BYTES_N;
}

interface Figure {
  provider: string;
  kind: WorkKind;
  instructions?: number;
  /** Of `instructions`, those of the code run: without the compilers' and the collector's (`callgrind-split.ts`). */
  codeInstructions?: number;
  compilerInstructions?: number;
  collectorInstructions?: number;
  bytes: number;
}

async function main(): Promise<void> {
  buildLibrary();
  const providers = list('WORK_PROVIDERS', [...Object.keys(library<typeof import('../lib')>('index').builtinProviders), 'hand-written']);
  const kinds = list('WORK_KINDS', WORK_KINDS) as WorkKind[];
  const counted = process.env.WORK_INSTRUCTIONS_PROVIDERS ? list('WORK_INSTRUCTIONS_PROVIDERS', providers) : providers;
  const started = new Date();
  const before = machine();
  console.log(`network-token-webhooks bench:work: ${providers.join(', ')} × ${kinds.join(', ')}; instructions over ${INSTRUCTIONS_N} deliveries `
    + `(callgrind, minus a run of none), bytes over ${BYTES_N}; ${WARMUP} warm-up deliveries of each kind first`);
  console.log(describeMachine(before));
  if (INSTRUCTIONS_N) execFileSync('valgrind', ['--version'], { stdio: 'ignore' });

  const figures: Figure[] = [];
  for (const provider of providers) {
    for (const kind of kinds) {
      figures.push({ provider, kind, bytes: await bytes(provider, kind) });
      console.log(`${provider} ${kind}: ${Math.round(figures[figures.length - 1]!.bytes).toLocaleString('en-US')} heap bytes per delivery`);
    }
  }

  if (INSTRUCTIONS_N) {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-work-'));
    try {
      const jobs = counted.flatMap((provider) => (['none', ...kinds] as const).map((kind) => async () => {
        const split = await instructions(provider, kind, kind === 'none' ? 0 : INSTRUCTIONS_N, dir);
        console.log(`${provider} ${kind}: ${split.total.toLocaleString('en-US')} instructions in all (callgrind), `
          + `${split.code.toLocaleString('en-US')} of them running code, ${split.compiler.toLocaleString('en-US')} compiling, ${split.collector.toLocaleString('en-US')} collecting`);
        return { provider, kind, split };
      }));
      const totals = await pooled(jobs);
      for (const f of figures) {
        if (!counted.includes(f.provider)) continue;
        const base = totals.find((t) => t.provider === f.provider && t.kind === 'none')!.split;
        const run = totals.find((t) => t.provider === f.provider && t.kind === f.kind)!.split;
        const per = (part: keyof InstructionSplit) => (run[part] - base[part]) / INSTRUCTIONS_N;
        f.instructions = per('total');
        f.codeInstructions = per('code');
        f.compilerInstructions = per('compiler');
        f.collectorInstructions = per('collector');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const fmt = (n: number | undefined) => (n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
  const header = ['provider', 'kind', 'instructions / delivery', 'running code', 'compiling', 'collecting', 'heap bytes / delivery'];
  const rows = [header, ...figures.map((f) => [f.provider, f.kind, fmt(f.instructions), fmt(f.codeInstructions), fmt(f.compilerInstructions),
    fmt(f.collectorInstructions), fmt(f.bytes)])];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(rows.map((r) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n'));
  const written = writeResults(fileStamp(started), {
    kind: 'work', startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine: before,
    settings: { instructionsN: INSTRUCTIONS_N, bytesN: BYTES_N, warmup: WARMUP, lib: process.env.BENCH_LIB === 'source' ? 'source' : 'dist' },
    figures,
  }, {}, 'work-');
  console.log(`written: ${written.join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
