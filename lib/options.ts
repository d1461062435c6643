import { ConfigurationError } from './errors';
import type { Storage } from './storage/storage';
import { MemoryStorage } from './storage/memory';
import type { DeliveryMode, InboxOptions, TokenWebhooksOptions } from './types';
import { checkOptionNames } from './option-names';
import type { TelemetryOptions } from './telemetry/telemetry';
import type { NamesOf } from './option-names';
import type { BackoffOptions } from './ledger/backoff';
import type { RenewalSchedule } from './ledger/lease-heartbeat';
import type { EncryptionKey } from './ledger/secret-box';
import type { ReferenceKey } from './pipeline/card-reference';
import type { Logger } from './log';

const DAY = 24 * 60 * 60 * 1000;

/** Every option with its default applied, checked once at start-up. */
export interface ResolvedOptions {
  readonly storage: Storage;
  readonly mode: DeliveryMode;
  readonly leaseMs: number;
  readonly cacheMax: number;
  readonly retentionMs: number;
  readonly pruneIntervalMs: number | false;
  readonly deadlineMs: number;
  readonly handlerTimeoutMs: number;
  readonly storageTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly encryptionKey: EncryptionKey | readonly EncryptionKey[] | undefined;
  readonly referenceKey: ReferenceKey | undefined;
  readonly clockSkewMs: number;
  readonly now: () => Date;
  readonly renewalSchedule: RenewalSchedule | undefined;
  readonly telemetry: TelemetryOptions | false | undefined;
  readonly logger: Logger | undefined;
  readonly inbox: {
    readonly maxAttempts: number;
    readonly concurrency: number;
    readonly pollIntervalMs: number | false;
    readonly backoff: BackoffOptions;
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError('ERR_NTW_OPTION', `${name} must be a positive number`);
  }
  return value;
}

/** The longest delay a Node.js timer keeps (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function timerDelay(name: string, value: number | undefined, fallback: number): number {
  const ms = positive(name, value, fallback);
  if (ms > MAX_TIMER_MS) throw new ConfigurationError('ERR_NTW_OPTION', `${name} must be at most ${MAX_TIMER_MS} (about 24 days)`);
  return ms;
}

/**
 * A lease must outlast a failed renewal and its retry. Renewals come every `leaseMs / 3`, so the one after the
 * last success starts at most a third of the lease later; it may fail only after `storageTimeoutMs`, and its retry
 * takes up to as long again: `leaseMs / 3 + 2 × storageTimeoutMs ≤ leaseMs`, that is `leaseMs ≥ 3 × storageTimeoutMs`.
 * A shorter lease runs out while a renewal waits its turn (a busy pool, a slow round trip), and another instance
 * may then run the event while its handlers still run.
 */
function renewableLease(leaseMs: number, storageTimeoutMs: number): number {
  if (leaseMs < 3 * storageTimeoutMs) {
    throw new ConfigurationError('ERR_NTW_LEASE_TOO_SHORT', `leaseMs (${leaseMs}) must be at least 3 × storageTimeoutMs (${3 * storageTimeoutMs}): `
      + 'a renewal that fails, and its retry, must both fit in the lease. Raise leaseMs, or lower storageTimeoutMs');
  }
  return leaseMs;
}

/** A count: a positive number, rounded down; one that rounds down to 0 (`0.5`) is refused as 0 would be. */
function integer(name: string, value: number | undefined, fallback: number): number {
  const whole = Math.floor(positive(name, value, fallback));
  if (whole < 1) throw new ConfigurationError('ERR_NTW_OPTION', `${name} must be a positive number`);
  return whole;
}

const orFalse = (name: string, value: number | false | undefined, fallback: number) =>
  value === false ? false : positive(name, value, fallback);

const STORAGE_METHODS = ['admit', 'lease', 'extend', 'settle', 'requeue', 'getEntry', 'listEntries', 'getTokenState', 'prune'] as const;

/** A storage is checked by shape at start-up, not at the first delivery. */
function checkStorage(storage: unknown): Storage {
  const missing = STORAGE_METHODS.filter((m) => typeof (storage as Record<string, unknown> | null)?.[m] !== 'function');
  if (storage === null || typeof storage !== 'object' || missing.length > 0) {
    throw new ConfigurationError('ERR_NTW_STORAGE', `storage must implement the Storage interface (missing: ${missing.join(', ')}); `
      + 'pass an adapter such as new PostgresStorage(url), not a connection string');
  }
  return storage as Storage;
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** A logger is checked by shape at start-up: a missing level would fail at the first record of that level. */
function checkLogger(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  const missing = LEVELS.filter((level) => typeof (logger as Record<string, unknown> | null)?.[level] !== 'function');
  if (logger === null || (typeof logger !== 'object' && typeof logger !== 'function') || missing.length > 0) {
    throw new ConfigurationError('ERR_NTW_OPTION', `logger must have pino's level methods error, warn, info and debug (missing: ${missing.join(', ')})`);
  }
  return logger as Logger;
}

const INBOX_NAMES = {
  maxAttempts: true, backoffBaseMs: true, backoffMaxMs: true, concurrency: true, pollIntervalMs: true, random: true,
} as const satisfies NamesOf<InboxOptions>;

const OPTION_NAMES = {
  storage: true, mode: true, leaseMs: true, cacheMax: true, retentionMs: true, pruneIntervalMs: true, deadlineMs: true,
  handlerTimeoutMs: true, storageTimeoutMs: true, shutdownTimeoutMs: true, encryptionKey: true, referenceKey: true, clockSkewMs: true,
  inbox: INBOX_NAMES, now: true, renewalSchedule: true,
  telemetry: { tracerProvider: true, meterProvider: true } satisfies NamesOf<TelemetryOptions>,
  logger: true,
} as const satisfies NamesOf<TokenWebhooksOptions>;

export function resolveOptions(options: TokenWebhooksOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('ERR_NTW_OPTION', 'createTokenWebhooks() takes an options object');
  checkOptionNames('createTokenWebhooks()', options, OPTION_NAMES);
  const mode = options.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'inbox') throw new ConfigurationError('ERR_NTW_OPTION', "mode must be 'sync' or 'inbox'");
  const inbox = options.inbox ?? {};
  const storageTimeoutMs = positive('storageTimeoutMs', options.storageTimeoutMs, 5_000);
  return {
    storage: options.storage === undefined ? new MemoryStorage() : checkStorage(options.storage),
    mode,
    leaseMs: renewableLease(positive('leaseMs', options.leaseMs, 30_000), storageTimeoutMs),
    cacheMax: integer('cacheMax', options.cacheMax, 10_000),
    retentionMs: positive('retentionMs', options.retentionMs, 7 * DAY),
    pruneIntervalMs: orFalse('pruneIntervalMs', options.pruneIntervalMs, 60 * 60 * 1000),
    deadlineMs: positive('deadlineMs', options.deadlineMs, 8_000),
    handlerTimeoutMs: timerDelay('handlerTimeoutMs', options.handlerTimeoutMs, 120_000),
    storageTimeoutMs,
    shutdownTimeoutMs: positive('shutdownTimeoutMs', options.shutdownTimeoutMs, 10_000),
    encryptionKey: options.encryptionKey,
    referenceKey: options.referenceKey,
    clockSkewMs: positive('clockSkewMs', options.clockSkewMs, 300_000),
    now: options.now ?? (() => new Date()),
    renewalSchedule: options.renewalSchedule,
    telemetry: options.telemetry,
    logger: checkLogger(options.logger),
    inbox: {
      maxAttempts: integer('inbox.maxAttempts', inbox.maxAttempts, 8),
      concurrency: integer('inbox.concurrency', inbox.concurrency, 4),
      pollIntervalMs: orFalse('inbox.pollIntervalMs', inbox.pollIntervalMs, 1000),
      backoff: {
        baseMs: positive('inbox.backoffBaseMs', inbox.backoffBaseMs, 1000),
        maxMs: positive('inbox.backoffMaxMs', inbox.backoffMaxMs, 300_000),
        ...(inbox.random ? { random: inbox.random } : {}),
      },
    },
  };
}
