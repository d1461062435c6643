import { redactText } from '../redact';

const MAX = 500;

/**
 * A short, scrubbed description of anything thrown, for `lastError`: never throws, whatever was thrown
 * (an object whose `message` getter or `toString` throws, a revoked proxy, a symbol).
 */
export function describeError(error: unknown): string {
  let text: string;
  try {
    const message = (error as { message?: unknown } | null | undefined)?.message;
    text = typeof message === 'string' ? message : String(error);
  } catch {
    text = 'an error that cannot be described';
  }
  return redactText(text).slice(0, MAX);
}
