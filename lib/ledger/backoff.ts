export interface BackoffOptions {
  /** Delay after the first failure, in ms. */
  readonly baseMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxMs: number;
  /** A number in [0, 1) (tests inject one). Default `Math.random`. */
  readonly random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": after the `attempt`-th failure (1-based) wait between
 * half and all of `min(maxMs, baseMs * 2^(attempt-1))`, so instances that failed together spread out.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const random = (options.random ?? Math.random)();
  return Math.round(ceiling / 2 + (ceiling / 2) * Math.min(Math.max(random, 0), 1));
}
