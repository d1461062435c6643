/**
 * Deadlines of the request bodies being read, kept by one shared timer rather than one per request: a sweep
 * every `SWEEP_MS` ends the reads that passed theirs. The timer runs only while a read is pending.
 */
const SWEEP_MS = 250;

interface Pending {
  readonly at: number;
  readonly late: () => void;
}

const pending = new Set<Pending>();
let timer: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const read of pending) {
    if (read.at > now) continue;
    pending.delete(read);
    read.late();
  }
  if (pending.size === 0 && timer) {
    clearInterval(timer);
    timer = undefined;
  }
}

/** Call `late` once `ms` passed (give or take a sweep), unless the returned function is called first. */
export function bodyDeadline(ms: number, late: () => void): () => void {
  const read: Pending = { at: Date.now() + ms, late };
  pending.add(read);
  if (!timer) {
    timer = setInterval(sweep, SWEEP_MS);
    timer.unref();
  }
  return () => { pending.delete(read); };
}
