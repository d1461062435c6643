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
 * itself or a child of one. Without one, records go to `debug` under `network-token-webhooks:*`.
 */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

export type LogLevel = keyof Logger;

/**
 * The log of one part of the library: a level method each, as `Logger`'s, taking the fields without `component`,
 * the message, and the logger of the receiver the record is about (the part's caller knows it); without one, `debug`.
 */
export type Log = { readonly [L in LogLevel]: (fields: LogFields, message: string, to?: Logger) => void } & {
  /** Whether a record would be written anywhere: to `to`, else to `debug` when it is enabled. Build a costly record only then. */
  readonly writes: (to?: Logger) => boolean;
};

/** The loggers of what a receiver hands code that does not know the receiver: its storage, a delivery's request. */
const attached = new WeakMap<object, Logger>();

/** Records written about `carrier` (`loggerOf(carrier)`) go to `logger`. Nothing without one. */
export function attachLogger(carrier: object, logger: Logger | undefined): void {
  if (logger !== undefined) attached.set(carrier, logger);
}

/** The logger `attachLogger` gave `carrier`, if any. */
export const loggerOf = (carrier: object): Logger | undefined => attached.get(carrier);

/** `redactText`, skipped for the many strings of a record that hold no digit and no `@` (names, codes): it would change nothing. */
const scrub = (text: string): string => (/[0-9@]/.test(text) ? redactText(text) : text);

/** A record's fields with every string scrubbed and the undefined ones left out. */
function scrubbed(component: string, fields: LogFields): LogRecord {
  const record: Record<string, string | number | boolean> = { component };
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || name === 'component') continue;
    record[name] = typeof value === 'string' ? scrub(value) : value;
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
 * The log of `component`. Each record goes to the logger it is given (the receiver's `logger` option), else to
 * `debug` under `network-token-webhooks:<component>`; either way scrubbed of card numbers, emails and phone
 * numbers, so no call site can leak one by accident. A logger that throws does not fail the work that logged.
 */
export function logger(component: string): Log {
  const debug = createDebug(`network-token-webhooks:${component}`);
  const write = (level: LogLevel) => (fields: LogFields, message: string, to?: Logger): void => {
    if (to === undefined) {
      if (debug.enabled) debug('%s', redactText(line(message, fields)));
      return;
    }
    try {
      to[level](scrubbed(component, fields), scrub(message));
    } catch {
      // a logger's failure is its own: the delivery goes on
    }
  };
  return {
    error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'),
    writes: (to) => to !== undefined || debug.enabled,
  };
}
