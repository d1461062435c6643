/**
 * `work`, or the value (or thrown error) of `onDeadline` once `ms` pass first. `work` goes on
 * either way: its outcome is not lost, only no longer awaited here. The timer is cleared when `work` settles.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onDeadline: () => T | Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      const outcome = onDeadline();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }, ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
