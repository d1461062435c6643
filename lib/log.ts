import { AsyncLocalStorage } from 'node:async_hooks';
import createDebug from 'debug';
import { redactText } from './redact';

/**
 * What a log record may carry besides its message: names, ids, codes and numbers, never a payload or a secret.
 * Every string is scrubbed of card numbers, emails and phone numbers before it is written.
 */
export interface LogFields {
  /** The provider of the delivery or event. */
  readonly provider?: string;
  /** The event id, when one is known. */
  readonly eventId?: string;
  /** The documented code: a delivery's answer (`unauthorized`, `schema_violation`) or an error's (`ERR_NTW_STORAGE_TIMEOUT`). */
  readonly code?: string;
  /** The HTTP status a delivery was answered with. */
  readonly status?: number;
  /** How long the delivery, run or operation took, in ms. */
  readonly durationMs?: number;
  readonly [field: string]: string | number | boolean | undefined;
}

/** A record as the logger receives it: the fields, and `component`, the part that wrote it (`receive`, `run`, `storage:postgres`, …). */
export interface LogRecord extends LogFields {
  readonly component: string;
}

/** One of the logger's level methods: the record first, the message second, as pino takes them. */
export type LogMethod = (record: LogRecord, message: string) => void;

/**
 * Where the receiver's log records go (the `logger` option): any object with pino's level methods, a pino logger
 * itself (or bunyan's, or a child of either). Without one, records go to `debug` under `network-token-webhooks:*`.
 */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

export type LogLevel = keyof Logger;

/** The log of one part of the library: a level method each, as `Logger`'s, taking the fields without `component`. */
export type Log = { readonly [L in LogLevel]: (fields: LogFields, message: string) => void };

/**
 * The logger of the receiver whose work is running (a delivery, a run, a console request, a method call). Set by
 * `withLogger` only when a receiver has a logger, so that a receiver without one pays nothing for it.
 */
const current = new AsyncLocalStorage<Logger | undefined>();

/**
 * Run `fn` (and whatever it starts: timers, promises) with `logger` as the one records go to; `undefined` sends
 * them to `debug`, even within another receiver's work.
 */
export function withLogger<T>(logger: Logger | undefined, fn: () => T): T {
  if (logger === undefined && current.getStore() === undefined) return fn();
  return current.run(logger, fn);
}

/**
 * `fn`, to be called later from elsewhere (a timer several receivers share), logging to the logger of the work that
 * made it. As it is when no receiver's work with a logger is running.
 */
export function keepLogger<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const logger = current.getStore();
  return logger === undefined ? fn : (...args: A) => current.run(logger, () => fn(...args));
}

/** A record's fields with every string scrubbed and the undefined ones left out. */
function scrubbed(component: string, fields: LogFields): LogRecord {
  const record: Record<string, string | number | boolean> = { component };
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || name === 'component') continue;
    record[name] = typeof value === 'string' ? redactText(value) : value;
  }
  return record as LogRecord;
}

/** The line `debug` prints: the message, then the fields as `name=value`. */
function line(message: string, fields: LogFields): string {
  let text = message;
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) text += ` ${name}=${value}`;
  return text;
}

/**
 * The log of `component`. Each record goes to the logger of the receiver whose work is running, else to `debug`
 * under `network-token-webhooks:<component>`; either way scrubbed of card numbers, emails and phone numbers, so
 * no call site can leak one by accident. A logger that throws does not fail the work that logged.
 */
export function logger(component: string): Log {
  const debug = createDebug(`network-token-webhooks:${component}`);
  const write = (level: LogLevel) => (fields: LogFields, message: string): void => {
    const sink = current.getStore();
    if (sink === undefined) {
      if (debug.enabled) debug('%s', redactText(line(message, fields)));
      return;
    }
    try {
      sink[level](scrubbed(component, fields), redactText(message));
    } catch {
      // a logger's failure is its own: the delivery goes on
    }
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}
