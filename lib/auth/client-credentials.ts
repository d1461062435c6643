import { createSecretKey, hkdfSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ConfigurationError } from '../errors';
import { checkOptionNames } from '../option-names';
import type { NamesOf } from '../option-names';
import { constantTimeEqual } from './constant-time';
import type { TokenKey } from './signed-token';
import type { ThrottleOptions } from './failure-throttle';

export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The OAuth2 client credentials you give a sender (NI), and how long the tokens issued to it live.
 * Give one client (`clientId` + `clientSecret`), or several in `clients` while you rotate.
 */
export interface OAuthClientCredentialsOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly clients?: readonly OAuthClient[];
  /** Lifetime of an issued access token, in seconds. Default 3600, at most 86400. */
  readonly ttl?: number;
  /** Seconds a token's issue time may lie ahead of this instance's clock (skew between instances). Default 60. */
  readonly clockTolerance?: number;
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Limits on failed client authentications (default 10 per client id from one address, 50 per address, in 15
   * minutes), answered `429` with `Retry-After`; guesses from one address never refuse another address NI's right
   * secret (see `ThrottleOptions`). `false` turns them off. Counts live in a store of express-rate-limit's ecosystem (`ThrottleStore`): share one
   * across instances with its `store` option.
   */
  readonly throttle?: ThrottleOptions | false;
}

export interface ClientCredentials {
  readonly keys: readonly TokenKey[];
  readonly ttl: number;
  readonly clockTolerance: number;
  readonly now: () => number;
  /** The client these credentials belong to, or `undefined`; compares with every client in constant time. */
  match(clientId: string, clientSecret: string): TokenKey | undefined;
}

const MIN_SECRET = 16;

/**
 * Each client's signing key is derived from its secret (HKDF-SHA256), so every instance configured
 * with the same credentials verifies the tokens any of them issued, and removing a client revokes its tokens.
 */
function deriveKey(client: OAuthClient, audience: string): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', client.clientSecret, 'network-token-webhooks/oauth-token/v1', `${audience}\u0000${client.clientId}`, 32)));
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError('ERR_NTW_OAUTH', `${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

export function clientCredentials(options: OAuthClientCredentialsOptions, audience: string): ClientCredentials {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('ERR_NTW_OAUTH', 'OAuth options must be an object');
  checkOptionNames('niTokenEndpoint()', options, {
    clientId: true, clientSecret: true, clients: true, ttl: true, clockTolerance: true, now: true,
    throttle: { windowMs: true, perClient: true, perAddress: true, maxKeys: true, store: true } satisfies NamesOf<ThrottleOptions>,
  } satisfies NamesOf<OAuthClientCredentialsOptions>);
  const single = options.clientId !== undefined || options.clientSecret !== undefined
    ? [{ clientId: options.clientId, clientSecret: options.clientSecret } as OAuthClient] : [];
  const clients = [...single, ...(options.clients ?? [])];
  if (clients.length === 0) throw new ConfigurationError('ERR_NTW_OAUTH', 'OAuth needs clientId and clientSecret (or clients: [...])');
  for (const c of clients) {
    if (!c || typeof c.clientId !== 'string' || c.clientId.length === 0 || c.clientId.length > 256) {
      throw new ConfigurationError('ERR_NTW_OAUTH', 'every OAuth client needs a clientId of 1 to 256 characters');
    }
    if (typeof c.clientSecret !== 'string' || c.clientSecret.length < MIN_SECRET) {
      throw new ConfigurationError('ERR_NTW_OAUTH', `the clientSecret of OAuth client "${c.clientId}" must be at least ${MIN_SECRET} characters`);
    }
  }
  const keys = clients.map((c) => ({ subject: c.clientId, key: deriveKey(c, audience) }));
  return {
    keys,
    ttl: integer('ttl', options.ttl, 3600, 1, 86_400),
    clockTolerance: integer('clockTolerance', options.clockTolerance, 60, 0, 3600),
    now: options.now ?? Date.now,
    match(clientId, clientSecret) {
      let found: TokenKey | undefined;
      clients.forEach((c, i) => {
        const idMatches = constantTimeEqual(clientId, c.clientId);
        const secretMatches = constantTimeEqual(clientSecret, c.clientSecret); // both compared, always
        if (idMatches && secretMatches) found ??= keys[i];
      });
      return found;
    },
  };
}
