import type { IncomingMessage } from 'node:http';
import type { BasicCredentials } from '../auth/shared-secret';
import type { ThrottleOptions } from '../auth/failure-throttle';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';

/** Decides whether a request may use the console: your session, SSO header or network check. */
export type ConsoleAuthorize = (req: IncomingMessage) => boolean | Promise<boolean>;

/** What the console shows and how; the sign-in is `ConsoleAccessOptions`. */
export interface ConsoleSettingsOptions {
  /**
   * The secret (32+ bytes) signing the replay form's anti-forgery token. Give every instance behind a load
   * balancer the same one, or a form served by one is refused by another. Default: random, per process.
   */
  readonly secret?: string | Buffer;
  /** The window of the chart and of the delivery counts, in minutes (1–1440). Default 60. */
  readonly windowMinutes?: number;
  /** Rows per list (1–500). Default 50. */
  readonly pageSize?: number;
  /**
   * Reload the overview, the inbox and an event's page every this many seconds (5–3600), with
   * `<meta http-equiv="refresh">` (no script). Default: no reload.
   */
  readonly refreshSeconds?: number;
  /**
   * Limits on failed basic-auth attempts: default 10 per username from one address, 50 per address, in 15 minutes
   * (`perClient` is per username). Wrong passwords from one address never refuse another the right one (see `ThrottleOptions`).
   */
  readonly throttle?: ThrottleOptions;
}

/** Who may use the console: `authorize`, basic `credentials`, or both (a request must then pass both). One is required. */
export type ConsoleAccessOptions =
  | {
    /** Called on every request; `false` (or a throw) refuses it with 403. */
    readonly authorize: ConsoleAuthorize;
    /** HTTP basic credentials (a password of 12+ characters). */
    readonly credentials?: BasicCredentials;
  }
  | { readonly authorize?: ConsoleAuthorize; readonly credentials: BasicCredentials };

export type ConsoleOptions = ConsoleSettingsOptions & ConsoleAccessOptions;

const NAMES = {
  authorize: true, credentials: { username: true, password: true }, secret: true, windowMinutes: true, pageSize: true, refreshSeconds: true,
  throttle: { windowMs: true, perClient: true, perAddress: true, maxKeys: true, store: true },
} satisfies NamesOf<ConsoleOptions>;

export interface ConsoleSettings {
  readonly authorize?: ConsoleAuthorize;
  readonly credentials?: BasicCredentials;
  readonly secret: Buffer;
  readonly windowMinutes: number;
  readonly pageSize: number;
  readonly refreshSeconds: number | undefined;
}

function bounded<F extends number | undefined>(name: string, value: number | undefined, fallback: F, max: number, min = 1): number | F {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigurationError('ERR_NTW_OPTION', `console() ${name} must be an integer from ${min} to ${max}`);
  return value;
}

/** Checks the options: a console that anyone could open does not start (`ERR_NTW_CONSOLE_AUTH`). */
export function resolveConsoleOptions(options: ConsoleOptions | undefined, randomSecret: () => Buffer): ConsoleSettings {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new ConfigurationError('ERR_NTW_CONSOLE_AUTH', 'console() needs { authorize: (req) => boolean } or { credentials: { username, password } }: it shows and replays your events');
  }
  checkOptionNames('console()', options, NAMES);
  const { authorize, credentials } = options;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new ConfigurationError('ERR_NTW_CONSOLE_AUTH', `console() authorize must be a function (req) => boolean, not ${typeof authorize}`);
  }
  if (credentials !== undefined) {
    const { username, password } = credentials as Partial<BasicCredentials>;
    if (typeof username !== 'string' || username === '' || username.includes(':')) {
      throw new ConfigurationError('ERR_NTW_CONSOLE_AUTH', 'console() credentials need a username (without ":")');
    }
    if (typeof password !== 'string' || password.length < 12) {
      throw new ConfigurationError('ERR_NTW_CONSOLE_AUTH', 'console() credentials need a password of at least 12 characters');
    }
  }
  if (authorize === undefined && credentials === undefined) {
    throw new ConfigurationError('ERR_NTW_CONSOLE_AUTH', 'console() needs { authorize: (req) => boolean } or { credentials: { username, password } }: it shows and replays your events');
  }
  let secret = randomSecret();
  if (options.secret !== undefined) {
    secret = typeof options.secret === 'string' ? Buffer.from(options.secret) : options.secret;
    if (!Buffer.isBuffer(secret) || secret.length < 32) throw new ConfigurationError('ERR_NTW_OPTION', 'console() secret must be 32 bytes or more');
  }
  return {
    ...(authorize ? { authorize } : {}),
    ...(credentials ? { credentials } : {}),
    secret,
    windowMinutes: bounded('windowMinutes', options.windowMinutes, 60, 1440),
    pageSize: bounded('pageSize', options.pageSize, 50, 500),
    refreshSeconds: bounded('refreshSeconds', options.refreshSeconds, undefined, 3600, 5),
  };
}
