import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Authenticator } from '../auth/authenticator';
import { ConfigurationError } from '../errors';
import { logger, loggerOf } from '../log';
import { parseTimestampedSignatures } from '../auth/timestamped-signatures';
import type { TimestampedSignatures } from '../auth/timestamped-signatures';

const log = logger('firstoken');
const REFUSED = { provider: 'firstoken', code: 'unauthorized' } as const;

/**
 * Firstoken's webhook signature, `Firstoken-Signature: t=<unix seconds>,s=<hex>`. Firstoken's page gives the
 * header and says the hash is made with the Webhook Key; it does not give the signed message. The default is
 * the common construction, HMAC-SHA256 over `<t>.<raw body>` keyed by the Webhook Key's UTF-8 bytes, as hex:
 * an assumption, overridable with `signedMessage`.
 */
export interface FirstokenSignatureOptions {
  /** The Webhook Key(s) from the Firstoken Console; several while you rotate. */
  readonly signingKeys: string | readonly string[];
  /** How far `t` may be from now, either way, in ms. Default 300000. */
  readonly toleranceMs?: number;
  /** The message the signature covers, given `t` as sent and the exact body. Default `` `${t}.${rawBody}` ``. */
  readonly signedMessage?: (t: string, rawBody: Buffer) => Buffer | string;
  /** Clock in ms since the epoch (tests). Default: when the delivery arrived by the clock instances share (`DeliveryRequest.receivedAt`), else `Date.now`. */
  readonly now?: () => number;
}

/** `t` and every `s` of the header (several while Firstoken rotates), or `undefined`. */
export function parseFirstokenSignature(value: string | string[] | undefined): TimestampedSignatures | undefined {
  return parseTimestampedSignatures(value, { scheme: 's', maxLength: 2048, maxTimeDigits: 16 });
}

export function firstokenSignatureAuthenticator(options: FirstokenSignatureOptions): Authenticator {
  const keys = (typeof options.signingKeys === 'string' ? [options.signingKeys] : [...options.signingKeys]).map((k) => {
    if (typeof k !== 'string' || k.length < 16) throw new ConfigurationError('ERR_NTW_FIRSTOKEN_KEY', 'firstoken() signing keys must be strings of at least 16 characters');
    return Buffer.from(k, 'utf8');
  });
  if (keys.length === 0) throw new ConfigurationError('ERR_NTW_FIRSTOKEN_KEY', 'firstoken() needs at least one signing key');
  const tolerance = options.toleranceMs ?? 300_000;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigurationError('ERR_NTW_TOLERANCE', 'toleranceMs must be a non-negative number of milliseconds');
  }
  const message = options.signedMessage ?? ((t: string, rawBody: Buffer) => Buffer.concat([Buffer.from(`${t}.`), rawBody]));
  return {
    requiresRawBody: true,
    authenticate(req, rawBody) {
      const header = parseFirstokenSignature(req.headers['firstoken-signature']);
      if (!header) {
        log.info(REFUSED, 'refused: Firstoken-Signature missing or malformed', loggerOf(req));
        return false;
      }
      // Unix seconds, as Firstoken documents; 13 digits are read as milliseconds.
      const at = header.t.length >= 13 ? Number(header.t) : Number(header.t) * 1000;
      if (Math.abs((options.now?.() ?? req.receivedAt?.getTime() ?? Date.now()) - at) > tolerance) {
        log.info(REFUSED, `refused: t outside the ${tolerance} ms window`, loggerOf(req));
        return false;
      }
      const signed = message(header.t, rawBody);
      let found = false;
      for (const key of keys) {
        const expected = createHmac('sha256', key).update(signed).digest();
        for (const s of header.signatures) found = timingSafeEqual(expected, s) || found; // every pair compared
      }
      if (!found) log.info(REFUSED, 'refused: signature does not match', loggerOf(req));
      return found;
    },
  };
}

/** `Firstoken-Signature: t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<body>">`, as this package verifies it by default. */
export function firstokenSignature(body: string | Buffer | object, key: string, options: { t?: number } = {}): string {
  const t = String(options.t ?? Math.floor(Date.now() / 1000));
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const s = createHmac('sha256', key).update(`${t}.`).update(raw).digest('hex');
  return `t=${t},s=${s}`;
}
