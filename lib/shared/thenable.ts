import type { Awaitable } from '../storage/storage';

/** Whether `value` is a promise (or any thenable) rather than a value already at hand. */
export const isThenable = <T>(value: Awaitable<T>): value is Promise<T> =>
  value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
