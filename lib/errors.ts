import type { TokenEvent } from './events';

/**
 * Every way a delivery can fail, with its HTTP status. The codes are public API:
 * they appear in response bodies and in `WebhookError.code`, and docs/configuration.md documents each.
 */
export const DELIVERY_ERRORS = {
  unsupported_media_type: { status: 415, retryable: false, message: 'Content-Type must be application/json (UTF-8).' },
  payload_too_large: { status: 413, retryable: false, message: 'Request body exceeds the size limit.' },
  unsupported_content_encoding: { status: 415, retryable: false, message: 'Content-Encoding must be gzip, deflate, br or identity (one coding).' },
  body_timeout: { status: 408, retryable: true, message: 'The request body did not arrive in time.' },
  empty_body: { status: 400, retryable: false, message: 'Request body is empty.' },
  invalid_body: { status: 400, retryable: false, message: 'Request body could not be read.' },
  invalid_json: { status: 400, retryable: false, message: 'Request body is not valid JSON.' },
  forbidden_json_key: { status: 400, retryable: false, message: 'Request body contains a forbidden key (__proto__ or constructor.prototype).' },
  json_too_deep: { status: 400, retryable: false, message: 'Request body nests deeper than allowed.' },
  json_array_too_long: { status: 400, retryable: false, message: 'Request body has an array longer than allowed.' },
  duplicate_json_key: { status: 400, retryable: false, message: 'Request body repeats a key within one object.' },
  schema_violation: { status: 400, retryable: false, message: 'Request body does not match the provider schema.' },
  unstorable_id: { status: 400, retryable: false, message: 'The notification id or token reference holds characters no provider sends (control characters, unpaired surrogates) or is too long.' },
  unauthorized: { status: 401, retryable: false, message: 'Authentication failed.' },
  decryption_failed: { status: 400, retryable: false, message: 'The encrypted payload does not decrypt with the key it names.' },
  method_not_allowed: { status: 405, retryable: false, message: 'Only POST delivers events.' },
  in_progress: { status: 409, retryable: true, message: 'This event is being processed; retry later.' },
  handler_failed: { status: 500, retryable: true, message: 'The event could not be processed; retry later.' },
  storage_unavailable: { status: 503, retryable: true, message: 'Storage is unavailable; retry later.' },
  raw_body_unavailable: {
    status: 500, retryable: true,
    message: 'The raw request body was consumed by an earlier body parser. Mount this endpoint before express.json(), or keep the bytes with express.json({ verify: (req, res, buf) => { req.rawBody = buf } }).',
  },
  shutting_down: { status: 503, retryable: true, message: 'The receiver is shutting down; retry later.' },
  not_configured: { status: 500, retryable: true, message: 'The receiver is not configured to accept this notification; retry later.' },
  timeout: { status: 503, retryable: true, message: 'Processing took too long; retry later.' },
} as const;

export type DeliveryErrorCode = keyof typeof DELIVERY_ERRORS;

/** One failing place in a payload; never carries the payload's values. */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** Whether `Error.stackTraceLimit` may be set here (not where the intrinsics are frozen). */
const STACK_LIMIT_WRITABLE = (() => {
  const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
  return descriptor?.writable === true && Object.isExtensible(Error);
})();

/**
 * A failed delivery. `message` is safe to return to the sender and to log. One the sender caused (a 4xx: a bad
 * signature, a schema violation, a body too large) is made without a stack trace: it says what was wrong with the
 * delivery, not where the code was, and capturing the stack took 7.5% of a refused delivery's CPU profile.
 */
export class WebhookError extends Error {
  readonly code: DeliveryErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly issues?: readonly SchemaIssue[];

  constructor(code: DeliveryErrorCode, options: { issues?: readonly SchemaIssue[]; cause?: unknown; message?: string } = {}) {
    const info = DELIVERY_ERRORS[code];
    const stackless = info.status < 500 && STACK_LIMIT_WRITABLE;
    const limit = Error.stackTraceLimit;
    if (stackless) Error.stackTraceLimit = 0;
    try {
      super(options.message ?? info.message, options.cause === undefined ? undefined : { cause: options.cause });
    } finally {
      if (stackless) Error.stackTraceLimit = limit;
    }
    this.name = 'WebhookError';
    this.code = code;
    this.status = info.status;
    this.retryable = info.retryable;
    if (options.issues) this.issues = options.issues;
  }
}

/**
 * What `onError` receives for a condition the library handled but an operator must know of (a quarantined
 * delivery, a conflicting duplicate, a storage call that timed out). Codes are `ERR_NTW_*`, documented in docs/configuration.md.
 */
export class ReportedError extends Error {
  readonly code: `ERR_NTW_${string}`;
  constructor(code: `ERR_NTW_${string}`, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReportedError';
    this.code = code;
  }
}

/** Misconfiguration found at start-up. Codes are `ERR_NTW_*`, documented in docs/configuration.md. */
export class ConfigurationError extends Error {
  readonly code: `ERR_NTW_${string}`;
  constructor(code: `ERR_NTW_${string}`, message: string) {
    super(`${message} (${code})`);
    this.name = 'ConfigurationError';
    this.code = code;
  }
}

/**
 * A storage call that failed, as `onError` receives it (and as the `cause` of the delivery's `storage_unavailable`):
 * - `ERR_NTW_STORAGE_TIMEOUT`: it did not answer within `storageTimeoutMs`;
 * - `ERR_NTW_STORAGE_UNAVAILABLE`: it failed; the adapter's (driver's) error is the `cause`.
 * `operation` names the call (`admit`, `lease`, `extend`, `settle`, ...).
 */
export class StorageError extends Error {
  readonly code: 'ERR_NTW_STORAGE_TIMEOUT' | 'ERR_NTW_STORAGE_UNAVAILABLE';
  readonly operation: string;
  constructor(code: StorageError['code'], operation: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StorageError';
    this.code = code;
    this.operation = operation;
  }
}

/** Where a failure the receiver found happened: no handler threw it, and the error is one of the package's (`NtwError`). */
export interface ReceiverErrorContext {
  /** The provider of the endpoint or the event concerned; `'*'` for the receiver as a whole (its clock, pruning, the inbox worker's polling). */
  readonly provider: string;
  readonly eventId?: string;
  readonly event?: undefined;
}

/** Where an event's handlers failed: the error is what they threw. */
export interface HandlerErrorContext<E extends TokenEvent = TokenEvent> {
  readonly provider: string;
  readonly eventId: string;
  /** The event whose handlers failed. */
  readonly event: E;
}

/** What `onError` is told about where a failure happened: `event` is set exactly when handlers failed. */
export type ErrorContext<E extends TokenEvent = TokenEvent> = ReceiverErrorContext | HandlerErrorContext<E>;
