import { createHmac, randomUUID } from 'node:crypto';
import { constantTimeEqual } from './constant-time';

/**
 * Stateless access tokens: compact JWTs signed with HMAC-SHA256. Any instance that holds the
 * same signing key verifies them, so nothing has to be stored or shared besides configuration.
 * Only the one header below is accepted (no `alg` negotiation, so no `alg: none` or key confusion).
 */
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
const ISSUER = 'network-token-webhooks';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]{43}$/;

export interface TokenKey {
  /** The client the key belongs to: the token's `sub` must name it. */
  readonly subject: string;
  readonly key: Buffer;
}

export interface TokenClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expires at, seconds since the epoch. */
  readonly exp: number;
  readonly jti: string;
}

const mac = (key: Buffer, signingInput: string) => createHmac('sha256', key).update(signingInput).digest('base64url');

/** Sign a token for `subject`, valid `ttlSeconds` from `nowMs`. */
export function signToken(key: TokenKey, audience: string, ttlSeconds: number, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims: TokenClaims = { iss: ISSUER, aud: audience, sub: key.subject, iat, exp: iat + ttlSeconds, jti: randomUUID() };
  const signingInput = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${signingInput}.${mac(key.key, signingInput)}`;
}

function readClaims(encoded: string): Partial<TokenClaims> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Partial<TokenClaims>) : undefined;
  } catch {
    return undefined;
  }
}

export interface VerifyOptions {
  readonly audience: string;
  readonly nowMs: number;
  /** Seconds an `iat` may lie in the future (clock skew between instances). */
  readonly clockTolerance: number;
}

/**
 * `true` when `token` was signed by one of `keys` for `audience`, names that key's subject, and is
 * inside its lifetime. Every key's MAC is computed and compared in constant time before any claim is read.
 */
export function verifyToken(token: string, keys: readonly TokenKey[], options: VerifyOptions): boolean {
  if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return false;
  const [header = '', payload = '', signature = ''] = token.split('.');
  if (header !== HEADER) return false;
  const signingInput = `${header}.${payload}`;
  let signer: TokenKey | undefined;
  for (const key of keys) {
    if (constantTimeEqual(mac(key.key, signingInput), signature)) signer ??= key;
  }
  if (!signer) return false;
  const claims = readClaims(payload);
  if (!claims || claims.iss !== ISSUER || claims.aud !== options.audience || claims.sub !== signer.subject) return false;
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || !Number.isFinite(iat) || !Number.isFinite(exp)) return false;
  const now = options.nowMs / 1000;
  return exp > now && iat <= now + options.clockTolerance && iat < exp;
}
