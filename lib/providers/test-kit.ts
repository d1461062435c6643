import { OUTCOME_HEADER } from '../shared/outcome-header';

/** What a built notification says happened. `activation_code` is NI's; `notification` is a non-lifecycle one. */
export type PayloadKind = 'active' | 'suspended' | 'deleted' | 'updated' | 'activation_code' | 'notification';

/** Every kind, in the order the CLI lists them. */
export const PAYLOAD_KINDS: readonly PayloadKind[] = ['active', 'suspended', 'deleted', 'updated', 'activation_code', 'notification'];

/** A payload type without its `readonly` marks, for `edit`. */
export type Writable<T> = T extends (...args: never[]) => unknown ? T
  : T extends readonly (infer U)[] ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;

export interface PayloadOverrides<P> {
  /** The notification id (the dedupe key). Default: a fresh UUID, so every build is a new event. */
  readonly id?: string;
  /** The token it is about. Default: a fixed token per provider, so successive builds move one token's state. */
  readonly tokenRef?: string;
  /** When it happened. Default: now. */
  readonly occurredAt?: Date;
  /** NI: the activation code of an `activation_code` notification. Default `123456`. */
  readonly activationCode?: string;
  /** Change anything else: receives the built payload (a fresh object) and may edit it or return another. */
  edit?(payload: Writable<P>): P | void;
}

/** Secrets any provider may be sent with: an `Authorization` header of a shared secret. */
export interface SharedCredentials {
  /** A shared bearer secret (TokenEx, Firstoken, NI's static bearer), or an access token. */
  readonly bearer?: string;
  readonly basic?: { readonly username: string; readonly password: string };
}

/** What a provider's kit signs with: its own secret (a signing key, its type the provider's), and the shared ones. */
export interface KitCredentials<Secret> extends SharedCredentials {
  readonly secret?: Secret;
}

/** A body made ready to send: the headers that authenticate it, and the body itself when signing changed it (a signature inside the body). */
export interface SignedDelivery {
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * What a provider's answer said: accepted (a 2xx); a duplicate of an event already received; the event id; or the
 * refusal's documented code.
 */
export interface AcknowledgementReading {
  readonly accepted: boolean;
  readonly duplicate?: boolean;
  readonly id?: string;
  readonly code?: string;
}

/** A credential flag of the sender CLI: `--key <key>`. */
export interface CliFlag {
  /** As commander writes it: `--key-id <id>`. Providers that share a flag give the same spelling. */
  readonly spec: string;
  /** What the flag is to this provider, for `--help`. */
  readonly about: string;
  /** Checks the value (throws an `Error` whose message says what it must be); answers it as given. */
  readonly check?: (value: string) => string;
  /** Another flag this one cannot be given with. */
  readonly conflicts?: string;
  /** Its value is no secret: a hint after a `401` may print it. */
  readonly shown?: boolean;
}

/** The credential flags a command takes for a provider, and the words that name them in errors and hints. */
export interface CliTakes {
  readonly flags: readonly string[];
  readonly what: string;
}

/** The flag values given, by flag name (`keyId` for `--key-id`). */
export type CliFlags = Readonly<Record<string, string | undefined>>;

/** How the sender CLI authenticates to a provider's receiver. */
export interface ProviderCli<Secret> {
  /** The credential flags it takes, by name (`keyId` is `--key-id`). */
  readonly flags: Readonly<Record<string, CliFlag>>;
  readonly send: CliTakes;
  /** `sign`, which works offline. Default: as `send`. */
  readonly sign?: CliTakes;
  /** Refuses (throws an `Error` naming flags, never values) a set of flags that cannot authenticate: half of a pair. */
  check?(flags: CliFlags): void;
  /** What the flags sign or authenticate with. */
  credentials(flags: CliFlags): KitCredentials<Secret>;
  /** `send`: credentials to obtain before sending (NI: an access token from its token endpoint). */
  prepare?(flags: CliFlags): Promise<SharedCredentials>;
  /** What the demo receiver mounts it with and prints for it: a kind to send, and the flags that authenticate it. */
  readonly example: { readonly kind: PayloadKind; readonly flags: Readonly<Record<string, string>> };
}

/**
 * A provider's own test kit: its notifications as it sends them, how it authenticates them and how its answers
 * read. `network-token-webhooks/testing`, the sender CLI and the demo use it; so can your tests.
 */
export interface ProviderTestKit<Raw, Secret> {
  /** The kinds `payload` builds. */
  readonly kinds: readonly PayloadKind[];
  /** A notification as the provider sends it, valid against its schema; `kind` is one of `kinds`. */
  payload(kind: PayloadKind, overrides: PayloadOverrides<Raw>): Raw;
  /** The headers (and, for a signature inside the body, the body) that authenticate `body`, its exact bytes, as sent at `now` (ms). Default: `sharedSecretHeaders`. */
  sign?(body: string | Buffer, credentials: KitCredentials<Secret>, now: number): SignedDelivery;
  /** Reads an answer (`sent`: the body that was sent). Default: `readJsonAcknowledgement`. */
  readAcknowledgement?(status: number, headers: Readonly<Record<string, string>>, body: string, sent: string): AcknowledgementReading;
  /** The endpoint options that accept `credentials`. */
  options(credentials: KitCredentials<Secret>): object;
  readonly cli: ProviderCli<Secret>;
}

/** `Authorization` for a shared secret: the bearer, else basic credentials, else none. */
export function sharedSecretHeaders(credentials: SharedCredentials): Record<string, string> {
  if (credentials.bearer) return { authorization: `Bearer ${credentials.bearer}` };
  if (credentials.basic) return { authorization: `Basic ${Buffer.from(`${credentials.basic.username}:${credentials.basic.password}`).toString('base64')}` };
  return {};
}

/** The body as JSON, or `undefined`. */
export function jsonOf(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** An answer in the default format (`jsonAcknowledgement`); the `ntw-outcome` header says a duplicate where the body does not. */
export function readJsonAcknowledgement(status: number, headers: Readonly<Record<string, string>>, body: string): AcknowledgementReading {
  const answer = jsonOf(body) as { id?: unknown; duplicate?: unknown; error?: { code?: unknown } } | undefined;
  if (status >= 200 && status < 300) {
    const outcome = headers[OUTCOME_HEADER];
    const duplicate = typeof answer?.duplicate === 'boolean' ? answer.duplicate : outcome ? outcome === 'duplicate' : undefined;
    return { accepted: true, ...(duplicate === undefined ? {} : { duplicate }), ...(typeof answer?.id === 'string' && answer.id ? { id: answer.id } : {}) };
  }
  const code = answer?.error?.code;
  return { accepted: false, ...(typeof code === 'string' && code ? { code } : {}) };
}

/** A kind the provider never sends. */
export function unsupportedKind(provider: string, kind: PayloadKind): never {
  throw new TypeError(`${provider} sends no "${kind}" notification`);
}

/** `--bearer <secret>`, as every provider that takes a shared secret spells it. */
export const BEARER_FLAG = (about: string): CliFlag => ({ spec: '--bearer <secret>', about });
/** `--key <key>`, a signing key. */
export const KEY_FLAG = (about: string): CliFlag => ({ spec: '--key <key>', about });

/** A CLI flag's value that must be an absolute http(s) URL: `127.0.0.1:3000/…` is no URL, and `localhost:3000/…` one of scheme `localhost:`. */
export function checkHttpUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') throw new Error('must be an absolute http(s) URL, like http://127.0.0.1:3000/webhooks/tokenex');
  return value;
}

/** A CLI flag's value of two parts, `<what>` (`<id>:<secret>`), split at the first `separator`. */
export const checkPair = (what: string, separator: string) => (value: string): string => {
  const at = value.indexOf(separator);
  if (at <= 0 || at === value.length - 1) throw new Error(`must be ${what}`);
  return value;
};
