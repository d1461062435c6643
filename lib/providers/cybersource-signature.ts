import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Authenticator, DeliveryRequest, Verified } from '../auth/authenticator';
import { ConfigurationError } from '../errors';
import { looksHex } from '../key-encoding';
import { logger, loggerOf } from '../log';

const log = logger('cybersource');
const REFUSED = { provider: 'cybersource', code: 'unauthorized' } as const;

export interface CybersourceSignatureOptions {
  /** Shared secrets by `keyId`, base64-encoded as Cybersource issues them. Several while you rotate. */
  readonly keys: Readonly<Record<string, string>>;
  /**
   * How old the signature's `t` may be, in ms. Default 3600000 (60 minutes): what Cybersource's own sample and
   * its official Salesforce cartridge allow. Cybersource does not say whether retries are signed anew, and a
   * window tighter than the provider's own code refuses real deliveries; a replay within it is a duplicate.
   */
  readonly toleranceMs?: number;
  /** How far in the future `t` may be (clock skew), in ms. Default 300000. */
  readonly futureToleranceMs?: number;
  /** Clock in ms since the epoch (tests). Default: when the delivery arrived by the clock instances share (`DeliveryRequest.receivedAt`), else `Date.now`. */
  readonly now?: () => number;
}

interface SignatureHeader {
  readonly t: string;
  readonly keyId: string;
  readonly sig: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** `t=<ms>;keyId=<id>;sig=<base64>` with nothing around the parts: what Cybersource sends. */
const PLAIN_HEADER = /^t=(\d{1,16});keyId=([^;="\s]+);sig=([A-Za-z0-9+/]+={0,2})$/;
/** The signed payload's JSON is parsed only for bodies of a sane shape: the limits of the pipeline's own parser. */
const MAX_DEPTH = 32;

/**
 * Parse `t=<ms>;keyId=<id>;sig=<base64>`: each part split at its first `=` (base64 padding stays in the value),
 * spaces and the stray quotes and semicolons of Cybersource's own documented example tolerated.
 */
export function parseSignatureHeader(value: string | string[] | undefined): SignatureHeader | undefined {
  if (typeof value !== 'string' || value.length > 1024) return undefined;
  // The header as Cybersource sends it, read in one match; anything else (spaces, quotes, another order) part by part.
  // Tested, then cut at its two semicolons (neither part before `sig` can hold one): no match array to build.
  if (PLAIN_HEADER.test(value)) {
    const keyAt = value.indexOf(';');
    const sigAt = value.indexOf(';', keyAt + 1);
    return { t: value.slice(2, keyAt), keyId: value.slice(keyAt + 7, sigAt), sig: Buffer.from(value.slice(sigAt + 5), 'base64') };
  }
  const text = value.includes('"') ? value.replace(/"/g, '') : value;
  let t: string | undefined;
  let keyId: string | undefined;
  let sig: string | undefined;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf(';', start);
    if (end < 0) end = text.length;
    const eq = text.indexOf('=', start);
    if (eq > start && eq < end) {
      // The first of each name counts.
      const name = text.slice(start, eq).trim();
      if (name === 't') t ??= text.slice(eq + 1, end).trim();
      else if (name === 'keyId') keyId ??= text.slice(eq + 1, end).trim();
      else if (name === 'sig') sig ??= text.slice(eq + 1, end).trim();
    }
    start = end + 1;
  }
  if (!t || !/^\d{1,16}$/.test(t) || !keyId || !sig || !BASE64.test(sig)) return undefined;
  return { t, keyId, sig: Buffer.from(sig, 'base64') };
}

/** The keys by `keyId`, each a `KeyObject` made once: an HMAC keyed by one is not prepared again on every delivery. */
function decodeKeys(keys: Readonly<Record<string, string>>): Map<string, KeyObject> {
  const decoded = new Map<string, KeyObject>();
  for (const [keyId, key] of Object.entries(keys)) {
    const bytes = typeof key === 'string' && BASE64.test(key) ? Buffer.from(key, 'base64') : Buffer.alloc(0);
    // Cybersource issues 32-byte keys; its documentation's example key has 8.
    if (bytes.length < 8) {
      throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY', `Cybersource key "${keyId}" must be base64 of at least 8 bytes (Cybersource issues 32)`);
    }
    // Hex digits are base64 characters too: a hex key would be taken, and every signature refused.
    if (looksHex(key)) {
      throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY', `Cybersource key "${keyId}" looks like hex; Cybersource gives keys in base64 `
        + "(if yours really is hex, pass Buffer.from(key, 'hex').toString('base64'))");
    }
    decoded.set(keyId, createSecretKey(bytes));
  }
  if (decoded.size === 0) throw new ConfigurationError('ERR_NTW_CYBERSOURCE_KEY', 'Cybersource needs at least one key');
  return decoded;
}

function duration(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError('ERR_NTW_TOLERANCE', `${name} must be a non-negative number of milliseconds`);
  }
  return value;
}

/** Nesting deeper than the pipeline accepts: such a body is refused later anyway, so its payload is not parsed here. */
function tooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) { if (++depth > MAX_DEPTH) return true; }
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** The JSON of `payload` inside the body: the message Cybersource's official plugins verify. */
function payloadJson(rawBody: Buffer): string | undefined {
  const text = rawBody.toString('utf8');
  if (tooDeep(text)) return undefined;
  try {
    const payload = (JSON.parse(text) as { payload?: unknown } | null)?.payload;
    return payload === undefined ? undefined : JSON.stringify(payload);
  } catch {
    return undefined;
  }
}

/**
 * `v-c-signature`: HMAC-SHA256 keyed by the base64-decoded secret of `keyId`, over `<t>.<raw body>` (the
 * documented construction) or `<t>.<JSON of body.payload>` (what Cybersource's official plugins verify). The
 * raw body is tried first, before anything is parsed; the payload construction parses the body only once the
 * key and the time passed. A payload-only match is `{ scope: 'payload' }`: the envelope was not signed.
 */
export function cybersourceSignatureAuthenticator(options: CybersourceSignatureOptions): Authenticator {
  const keys = decodeKeys(options.keys);
  const past = duration('toleranceMs', options.toleranceMs, 3_600_000);
  const future = duration('futureToleranceMs', options.futureToleranceMs, 300_000);
  const matches = (key: KeyObject, t: string, message: Buffer | string, sig: Buffer) => {
    const expected = createHmac('sha256', key).update(`${t}.`).update(message).digest();
    return expected.length === sig.length && timingSafeEqual(expected, sig);
  };

  return {
    requiresRawBody: true,
    authenticate(req: DeliveryRequest, rawBody: Buffer): boolean | Verified {
      const header = parseSignatureHeader(req.headers['v-c-signature']);
      if (!header) {
        log.info(REFUSED, 'refused: v-c-signature missing or malformed', loggerOf(req));
        return false;
      }
      const age = (options.now?.() ?? req.receivedAt?.getTime() ?? Date.now()) - Number(header.t);
      if (age > past || -age > future) {
        log.info(REFUSED, `refused: t is ${age > 0 ? 'older than' : 'ahead of'} the window (${age} ms old)`, loggerOf(req));
        return false;
      }
      const key = keys.get(header.keyId);
      if (!key) {
        log.info(REFUSED, 'refused: unknown keyId', loggerOf(req));
        return false;
      }
      if (matches(key, header.t, rawBody, header.sig)) return true;
      const alternative = payloadJson(rawBody);
      if (alternative !== undefined && matches(key, header.t, alternative, header.sig)) return { scope: 'payload' };
      log.info(REFUSED, 'refused: signature does not match', loggerOf(req));
      return false;
    },
  };
}

/**
 * `v-c-signature` as Cybersource sends it: HMAC-SHA256 under the base64-decoded key over `<t>.<body>`,
 * or with `payloadOnly` over `<t>.<JSON of body.payload>` (what Cybersource's official plugins verify).
 */
export function cybersourceSignature(body: string | Buffer | object, key: { keyId: string; key: string }, options: { t?: number; payloadOnly?: boolean } = {}): string {
  const t = String(options.t ?? Date.now());
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const message = options.payloadOnly ? JSON.stringify((JSON.parse(raw.toString()) as { payload?: unknown }).payload) : raw;
  const sig = createHmac('sha256', Buffer.from(key.key, 'base64')).update(`${t}.`).update(message).digest('base64');
  return `t=${t};keyId=${key.keyId};sig=${sig}`;
}
