import { ConfigurationError } from '../../errors';

/**
 * What every adapter's options share. The delivery core gives each storage call a deadline (`storageTimeoutMs`,
 * default 5000), but that deadline only stops the waiting: an adapter bounds each call itself, under it, with a
 * `timeoutMs` of its own (the built-in adapters default to 4000), and its `close()` ends by itself too.
 */

/**
 * An adapter's `timeoutMs` option, checked: `fallback` when it is absent, else a finite number of milliseconds above 0
 * (0 or more with `allowZero`, for a timeout where 0 means "do not wait"). Anything else throws a `ConfigurationError`
 * `ERR_NTW_OPTION` that names the adapter, at construction rather than at the first delivery.
 */
export function timeoutMsOption(adapter: string, value: unknown, fallback: number, options: { readonly allowZero?: boolean } = {}): number {
  const timeoutMs = value ?? fallback;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0 || (timeoutMs === 0 && !options.allowZero)) {
    throw new ConfigurationError('ERR_NTW_OPTION', options.allowZero
      ? `${adapter} timeoutMs must be a number of milliseconds, 0 or more`
      : `${adapter} timeoutMs must be a positive number`);
  }
  return timeoutMs;
}

/** An adapter's boolean option, checked: `fallback` when it is absent; anything but `true` or `false` throws `ERR_NTW_OPTION`. */
export function booleanOption(adapter: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigurationError('ERR_NTW_OPTION', `${adapter} ${name} must be true or false`);
  return value;
}

/**
 * Wait at most `ms` for `closing` (a pool ending, a client quitting): `true` when it resolved in time, `false` when it
 * rejected, resolved `false`, or `ms` passed first. On `false`, destroy what is left (sockets, connections) so that
 * nothing keeps the process alive: a goodbye that a silent network never answers would otherwise hold `close()`
 * forever. `closing` goes on either way; only the waiting stops.
 */
export function closeWithin(closing: PromiseLike<unknown>, ms: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    Promise.resolve(closing).then((value) => {
      clearTimeout(timer);
      resolve(value !== false);
    }, () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}
