/**
 * A callgrind profile's instructions split by who executed them: V8's compilers (parsing, bytecode, the optimizing
 * tiers), its garbage collector, and the rest (the program's code, interpreted or compiled, the builtins and the
 * libraries it calls). The compilers and the collector run when V8 decides, in one run and not in the next; the rest
 * is what the deliveries' code asks for, and repeats from run to run.
 */
import { execFileSync } from 'node:child_process';

export interface InstructionSplit {
  readonly total: number;
  readonly compiler: number;
  readonly collector: number;
  /** `total` less the compilers' and the collector's. */
  readonly code: number;
}

const COLLECTOR = new RegExp([
  String.raw`v8::internal::(Heap|MarkCompact|MinorMarkCompact|Scaveng|Sweeper|Marking|Evacuat|Concurrent|IncrementalMarking|RememberedSet`,
  String.raw`|LiveObject|BodyDescriptorBase::IteratePointers|MemoryAllocator|Page|PagedSpace|NewSpace|SemiSpace|LargeObject|MainMarkingVisitor`,
  String.raw`|RecordMigrated|ArrayBufferSweeper|GlobalHandles|WeakObjects|MarkingBarrier|YoungGenerationMarking|FreeList|Worklist|CppHeap)`,
  String.raw`|heap::base::|cppgc::`,
].join(''));
const COMPILER = new RegExp([
  String.raw`v8::internal::(compiler::|maglev::|baseline::|Compiler::|interpreter::BytecodeGenerator|Parser|PreParser|Scanner`,
  String.raw`|AstValueFactory|DeclarationScope|Scope::|OptimizingCompileDispatcher|TurbofanCompilationJob|Zone)`,
  String.raw`|Runtime_Compile|Builtins_CompileLazy`,
].join(''));

/** Each function's own instructions in `file` (`callgrind_annotate`), summed by who executed them. */
export function splitInstructions(file: string): InstructionSplit {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  let total = 0;
  let compiler = 0;
  let collector = 0;
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m) continue;
    const n = Number(m[1]!.replaceAll(',', ''));
    if (m[2]!.includes('PROGRAM TOTALS')) total = n;
    else if (COLLECTOR.test(m[2]!)) collector += n;
    else if (COMPILER.test(m[2]!)) compiler += n;
  }
  if (!total) throw new Error(`callgrind_annotate found no totals in ${file}`);
  return { total, compiler, collector, code: total - compiler - collector };
}
