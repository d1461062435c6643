import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Authenticator } from '../auth/authenticator';
import type { BasicCredentials } from '../auth/shared-secret';
import { sharedSecretAuthenticator } from '../auth/shared-secret';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';

const log = logger('adyen');
const REFUSED = { provider: 'adyen', code: 'unauthorized' } as const;

/**
 * How Adyen's webhooks are authenticated: the HMAC signature of the webhook's HMAC key (`HmacSignature` header,
 * the base64 HMAC-SHA256 of the raw body keyed by the hex-decoded key), and the basic credentials set on the
 * webhook in the Customer Area. Give one or both: a delivery must pass every check configured.
 */
export type AdyenAuth =
  | { readonly hmacKey: string | readonly string[]; readonly basic?: BasicCredentials | readonly BasicCredentials[] }
  | { readonly hmacKey?: undefined; readonly basic: BasicCredentials | readonly BasicCredentials[] };

/** The names of `adyen({ auth })`, for the start-up check of option names. */
export const ADYEN_AUTH_NAMES = { hmacKey: true, basic: true } as const satisfies NamesOf<AdyenAuth>;

/** Adyen's keys are 32 bytes (64 hex digits); its classic pages allow other lengths, so 16 bytes is the floor. */
const HEX_KEY = /^(?:[0-9a-fA-F]{2}){16,}$/;

/** Whether `key` reads as an HMAC key Adyen shows: hexadecimal, 32 digits or more. */
export const isHmacKey = (key: string): boolean => HEX_KEY.test(key.trim());
/** The base64 of a 32-byte HMAC-SHA256 (its padding optional, as Adyen's own library reads it). */
const SIGNATURE = /^[A-Za-z0-9+/]{43}=?$/;

const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** The signature of an `HmacSignature` header, or `undefined` when it is not the base64 of 32 bytes. */
export function parseHmacSignature(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return SIGNATURE.test(text) ? Buffer.from(text, 'base64') : undefined;
}

function hmacKeys(value: unknown): Buffer[] {
  return list(value as string | readonly string[] | undefined).map((key) => {
    // Adyen's own library reads the key with Buffer.from(key, 'hex'), which stops at the first non-hex character:
    // such a key would sign with a part of itself and refuse every delivery, so it is refused here, at start-up.
    if (typeof key !== 'string' || !isHmacKey(key)) {
      throw new ConfigurationError('ERR_NTW_ADYEN_KEY', "adyen() hmacKey must be the webhook's HMAC key as Adyen shows it: hexadecimal, 64 digits (at least 32)");
    }
    return Buffer.from(key.trim(), 'hex');
  });
}

export function adyenAuthenticator(auth: AdyenAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "adyen(): auth must be an object (or 'none')");
  const keys = hmacKeys(auth.hmacKey);
  if (auth.hmacKey !== undefined && keys.length === 0) throw new ConfigurationError('ERR_NTW_ADYEN_KEY', 'adyen() hmacKey must list at least one key');
  const basic = auth.basic === undefined ? undefined : sharedSecretAuthenticator({ basic: auth.basic }, 'adyen()');
  if (keys.length === 0 && !basic) {
    throw new ConfigurationError('ERR_NTW_ADYEN_KEY', "adyen() needs auth: { hmacKey } (the webhook's HMAC key), basic credentials, or both (or auth: 'none' for local testing)");
  }
  return {
    requiresRawBody: keys.length > 0,
    authenticate(req, rawBody) {
      if (basic && basic.authenticate(req, rawBody) !== true) return false; // the basic check is synchronous and logs why
      if (keys.length === 0) return true;
      const signature = parseHmacSignature(req.headers.hmacsignature);
      if (!signature) {
        log.info(REFUSED, 'refused: HmacSignature missing or not the base64 of 32 bytes', loggerOf(req));
        return false;
      }
      let signed = false;
      for (const key of keys) signed = timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), signature) || signed; // every key compared
      if (!signed) log.info(REFUSED, 'refused: HmacSignature does not match', loggerOf(req));
      return signed;
    },
  };
}

/** `HmacSignature` as Adyen sends it: the base64 HMAC-SHA256 of the exact body, keyed by the hex-decoded HMAC key. */
export function adyenHmacSignature(body: string | Buffer, hmacKey: string): string {
  return createHmac('sha256', Buffer.from(hmacKey, 'hex')).update(body).digest('base64');
}
