import { randomUUID, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * Stateless access tokens: compact JWTs signed with HMAC-SHA256 (`jose`). Any instance that holds the same
 * signing key verifies them, so nothing has to be stored or shared besides configuration. Only HS256 is
 * accepted (no `alg` negotiation, so no `alg: none` or key confusion).
 */
const ALGORITHM = 'HS256';
const ISSUER = 'network-token-webhooks';

/**
 * `jose` is ESM-only: imported on first use, so that loading this package never depends on `require(esm)`,
 * which test runners with their own module loader (Jest before Node 24.9) refuse.
 */
const load = () => import('jose');
type Jose = Awaited<ReturnType<typeof load>>;
let loading: Promise<Jose> | undefined;
const jose = () => (loading ??= load());

export interface TokenKey {
  /** The client the key belongs to: the token's `sub` must name it. */
  readonly subject: string;
  readonly key: KeyObject;
}

const imported = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

/** jose imports a secret `KeyObject`'s bytes anew on every call; a non-extractable `CryptoKey` imported once halves the cost. */
function cryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  let found = imported.get(key);
  if (!found) {
    found = webcrypto.subtle.importKey('raw', key.export(), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    imported.set(key, found);
  }
  return found;
}

/** Sign a token for `subject`, valid `ttlSeconds` from `nowMs`. */
export async function signToken(key: TokenKey, audience: string, ttlSeconds: number, nowMs: number): Promise<string> {
  const { SignJWT } = await jose();
  const iat = Math.floor(nowMs / 1000);
  // The header the earlier hand-written signer wrote, byte for byte: instances of either version verify each other's tokens.
  return new SignJWT().setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(ISSUER).setAudience(audience).setSubject(key.subject)
    .setIssuedAt(iat).setExpirationTime(iat + ttlSeconds).setJti(randomUUID())
    .sign(await cryptoKey(key.key));
}

export interface VerifyOptions {
  readonly audience: string;
  readonly nowMs: number;
  /** Seconds an `iat` may lie in the future (clock skew between instances). */
  readonly clockTolerance: number;
}

/** Why a token is refused: for the DEBUG log only, never for the answer. */
export type TokenRefusal =
  | 'malformed' | 'algorithm not allowed' | 'signature does not match' | 'expired' | 'issued in the future'
  | 'wrong issuer' | 'wrong audience' | 'wrong subject' | 'not yet valid' | 'claims invalid';

function refusalOf({ errors }: Jose, error: unknown): TokenRefusal {
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'signature does not match';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Partial<Record<string, TokenRefusal>> = { iss: 'wrong issuer', aud: 'wrong audience', sub: 'wrong subject', nbf: 'not yet valid' };
    return (error.reason === 'check_failed' && byClaim[error.claim]) || 'claims invalid';
  }
  return 'malformed';
}

async function verifyWith(token: string, signer: TokenKey, options: VerifyOptions): Promise<true | TokenRefusal> {
  const [library, key] = await Promise.all([jose(), cryptoKey(signer.key)]); // a failure here is thrown, not taken for a refusal
  try {
    const { payload } = await library.jwtVerify(token, key, {
      algorithms: [ALGORITHM], typ: 'JWT', issuer: ISSUER, audience: options.audience, subject: signer.subject,
      requiredClaims: ['iat', 'exp'], currentDate: new Date(options.nowMs), clockTolerance: 0,
    });
    // jose's clockTolerance would stretch `exp` too, and it checks `iat` only against a maximum age: ours is for an `iat` ahead of this clock.
    const { iat = Infinity, exp = -Infinity } = payload;
    if (iat > options.nowMs / 1000 + options.clockTolerance) return 'issued in the future';
    return iat < exp || 'claims invalid';
  } catch (error) {
    return refusalOf(library, error);
  }
}

/**
 * `true` when `token` was signed by one of `keys` for `audience`, names that key's subject, and is inside its
 * lifetime; otherwise why not. Every key is tried, so the time does not say which client a token names.
 */
export async function verifyToken(token: string, keys: readonly TokenKey[], options: VerifyOptions): Promise<true | TokenRefusal> {
  if (typeof token !== 'string') return 'malformed';
  const verdicts = await Promise.all(keys.map((key) => verifyWith(token, key, options)));
  if (verdicts.includes(true)) return true;
  // A key whose signature matched says more than the keys whose signature did not.
  return verdicts.find((v): v is TokenRefusal => v !== 'signature does not match') ?? 'signature does not match';
}
