import { format } from 'node:util';
import createDebug from 'debug';

/** Enable every namespace of the library and capture what `debug` writes; `restore()` puts the previous setting back. */
export function captureDebug(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const previous = createDebug.disable();
  const previousLog = createDebug.log;
  createDebug.enable('network-token-webhooks:*');
  createDebug.log = (...args: unknown[]) => { lines.push(format(...args)); };
  return {
    lines,
    restore: () => {
      createDebug.log = previousLog;
      if (previous) createDebug.enable(previous);
      else createDebug.disable();
    },
  };
}
