/**
 * `work`, or the value (or thrown error) of `onDeadline` once `ms` pass first. `work` goes on
 * either way: its outcome is not lost, only no longer awaited here. The timer is cleared when `work` settles;
 * `unref`: it does not keep the process alive (work that may never settle, such as a handler).
 */
export function withDeadline<T>(work: Promise<T>, ms: number, onDeadline: () => T | Error, unref = false): Promise<T> {
  // One promise and one timer (Node keeps timers of one duration in one list): no race, no finally, on every request.
  return new Promise<T>((resolve, reject) => {
    let pending = true;
    const timer = setTimeout(() => {
      if (!pending) return;
      pending = false;
      let outcome: T | Error;
      try {
        outcome = onDeadline();
      } catch (error) {
        reject(error);
        return;
      }
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    }, ms);
    if (unref) timer.unref();
    work.then((value) => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      resolve(value);
    }, (error: unknown) => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      reject(error);
    });
  });
}
