import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Authenticator, DeliveryRequest } from '../auth/authenticator';
import { matchesAny } from '../auth/constant-time';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';

const log = logger('checkout');
const REFUSED = { provider: 'checkout', code: 'unauthorized' } as const;

/**
 * How Checkout.com's webhook deliveries are authenticated: `Cko-Signature`, the hex HMAC-SHA256 of the raw body
 * keyed by the signature key of the workflow's webhook action; and, when the webhook is set to send one, the
 * value of its `Authorization` header. Every check configured must pass.
 */
export interface CheckoutAuth {
  /** The signature key of the webhook action (its `signature.key`); several while you rotate. */
  readonly signatureKey: string | readonly string[];
  /** The exact `Authorization` header value the webhook sends (a header you configured on it); several while you rotate. */
  readonly authorization?: string | readonly string[];
}

/** The names of `checkout({ auth })`, for the start-up check of option names. */
export const CHECKOUT_AUTH_NAMES = { signatureKey: true, authorization: true } as const satisfies NamesOf<CheckoutAuth>;

const MIN_KEY_LENGTH = 16;

const list = (value: string | readonly string[] | undefined): readonly unknown[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];

/** The signature of `Cko-Signature`: 64 hex digits (either case), or `undefined`. */
export function parseCkoSignature(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.trim();
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

const header = (req: DeliveryRequest, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function checkoutSignatureAuthenticator(auth: CheckoutAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "checkout(): auth must be an object (or 'none')");
  const keys = list(auth.signatureKey).map((key) => {
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
      throw new ConfigurationError('ERR_NTW_CHECKOUT_KEY', `checkout() signature keys must be strings of at least ${MIN_KEY_LENGTH} characters: the key of the workflow's webhook action`);
    }
    return Buffer.from(key, 'utf8');
  });
  if (keys.length === 0) throw new ConfigurationError('ERR_NTW_CHECKOUT_KEY', "checkout() needs auth: { signatureKey }, the signature key of the workflow's webhook action (or auth: 'none' for local testing)");
  const authorizations = list(auth.authorization).map((value) => {
    if (typeof value !== 'string' || value.trim() === '') throw new ConfigurationError('ERR_NTW_CHECKOUT_KEY', 'checkout() authorization must be the non-empty Authorization header value its webhook sends');
    return value;
  });
  return {
    requiresRawBody: true,
    authenticate(req, rawBody) {
      const signature = parseCkoSignature(req.headers['cko-signature']);
      if (!signature) {
        log.info(REFUSED, 'refused: Cko-Signature missing or not 64 hex digits', loggerOf(req));
        return false;
      }
      let signed = false;
      for (const key of keys) signed = timingSafeEqual(createHmac('sha256', key).update(rawBody).digest(), signature) || signed; // every key compared
      if (!signed) {
        log.info(REFUSED, 'refused: Cko-Signature does not match', loggerOf(req));
        return false;
      }
      if (authorizations.length > 0) {
        const given = header(req, 'authorization');
        if (given === undefined || !matchesAny(given, authorizations)) {
          log.info(REFUSED, `refused: the Authorization header is ${given === undefined ? 'missing' : 'not the configured value'}`, loggerOf(req));
          return false;
        }
      }
      return true;
    },
  };
}

/** `Cko-Signature` as Checkout.com sends it: the hex HMAC-SHA256 of the exact body, keyed by the signature key. */
export function checkoutSignature(body: string | Buffer, signatureKey: string): string {
  return createHmac('sha256', signatureKey).update(body).digest('hex');
}
