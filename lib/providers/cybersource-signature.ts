import { createHmac } from 'node:crypto';
import type { Authenticator, DeliveryRequest } from './provider';
import { ConfigurationError } from '../errors';
import { constantTimeEqual } from '../auth/constant-time';

export interface CybersourceSignatureOptions {
  /** Shared secrets by `keyId`, base64-encoded as Cybersource issues them. Several while you rotate. */
  readonly keys: Readonly<Record<string, string>>;
  /** Largest accepted distance between the signature's `t` and now, both directions, in ms. Default 300000. */
  readonly tolerance?: number;
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  readonly now?: () => number;
}

interface SignatureHeader {
  readonly t: string;
  readonly keyId: string;
  readonly sig: string;
}

/** Parse `t=<ms>;keyId=<id>;sig=<base64>`; values may contain `=` (base64 padding), parts may be spaced. */
export function parseSignatureHeader(value: string | string[] | undefined): SignatureHeader | undefined {
  if (typeof value !== 'string' || value.length > 1024) return undefined;
  const parts = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!parts.has(name)) parts.set(name, part.slice(eq + 1).trim());
  }
  const t = parts.get('t');
  const keyId = parts.get('keyId');
  const sig = parts.get('sig');
  if (!t || !/^\d{1,16}$/.test(t) || !keyId || !sig || !/^[A-Za-z0-9+/]+={0,2}$/.test(sig)) return undefined;
  return { t, keyId, sig };
}

function decodeKeys(keys: Readonly<Record<string, string>>): Map<string, Buffer> {
  const decoded = new Map<string, Buffer>();
  for (const [keyId, key] of Object.entries(keys)) {
    const bytes = typeof key === 'string' && /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
    if (bytes.length < 16) {
      throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY', `Cybersource key "${keyId}" must be base64 of at least 16 bytes`);
    }
    decoded.set(keyId, bytes);
  }
  if (decoded.size === 0) throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY', 'Cybersource needs at least one key');
  return decoded;
}

/** The JSON of `payload` inside the body: the message one public integration signs instead of the raw body. */
function payloadJson(rawBody: Buffer): string | undefined {
  try {
    const parsed: unknown = JSON.parse(rawBody.toString('utf8'));
    const payload = (parsed as { payload?: unknown } | null)?.payload;
    return payload === undefined ? undefined : JSON.stringify(payload);
  } catch {
    return undefined;
  }
}

/** HMAC-SHA256 over `<t>.<raw body>` (or `<t>.<JSON of payload>`), keyed by the base64-decoded secret. */
export function cybersourceSignatureAuthenticator(options: CybersourceSignatureOptions): Authenticator {
  const keys = decodeKeys(options.keys);
  const tolerance = options.tolerance ?? 300_000;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigurationError('ERR_NTW_TOLERANCE', 'tolerance must be a non-negative number of milliseconds');
  }
  const now = options.now ?? Date.now;
  const sign = (key: Buffer, t: string, message: Buffer | string) =>
    createHmac('sha256', key).update(`${t}.`).update(message).digest('base64');

  return {
    requiresRawBody: true,
    authenticate(req: DeliveryRequest, rawBody: Buffer) {
      const header = parseSignatureHeader(req.headers['v-c-signature']);
      if (!header) return false;
      if (Math.abs(now() - Number(header.t)) > tolerance) return false;
      const key = keys.get(header.keyId);
      if (!key) return false;
      if (constantTimeEqual(sign(key, header.t, rawBody), header.sig)) return true;
      const alternative = payloadJson(rawBody);
      return alternative !== undefined && constantTimeEqual(sign(key, header.t, alternative), header.sig);
    },
  };
}
