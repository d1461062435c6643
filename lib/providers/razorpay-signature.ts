import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Authenticator } from '../auth/authenticator';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';

const log = logger('razorpay');
const REFUSED = { provider: 'razorpay', code: 'unauthorized' } as const;

/**
 * How Razorpay signs a webhook delivery: `X-Razorpay-Signature`, the hex HMAC-SHA256 of the raw body keyed by the
 * webhook's secret (its UTF-8 bytes, as the razorpay SDKs' `validateWebhookSignature` keys it). No timestamp is signed.
 */
export interface RazorpayAuth {
  /**
   * The secret set on the webhook in the Razorpay Dashboard; several after you change it: Razorpay signs a retry
   * of an event created before the change with the previous secret, for up to 24 hours.
   */
  readonly webhookSecret: string | readonly string[];
}

/** The names of `razorpay({ auth })`, for the start-up check of option names. */
export const RAZORPAY_AUTH_NAMES = { webhookSecret: true } as const satisfies NamesOf<RazorpayAuth>;

const MIN_SECRET_LENGTH = 16;

const list = (value: string | readonly string[] | undefined): readonly unknown[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];

/** The signature of `X-Razorpay-Signature`: 64 hex digits (either case), or `undefined`. */
export function parseRazorpaySignature(value: string | string[] | undefined): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const hex = value.trim();
  return /^[0-9a-fA-F]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

export function razorpaySignatureAuthenticator(auth: RazorpayAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "razorpay(): auth must be an object (or 'none')");
  const secrets = list(auth.webhookSecret).map((secret) => {
    if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
      throw new ConfigurationError('ERR_NTW_RAZORPAY_SECRET', `razorpay() webhook secrets must be strings of at least ${MIN_SECRET_LENGTH} characters: set one that long on the webhook in the Razorpay Dashboard`);
    }
    return Buffer.from(secret, 'utf8');
  });
  if (secrets.length === 0) throw new ConfigurationError('ERR_NTW_RAZORPAY_SECRET', "razorpay() needs auth: { webhookSecret }, the secret set on the webhook (or auth: 'none' for local testing)");
  return {
    requiresRawBody: true,
    authenticate(req, rawBody) {
      const signature = parseRazorpaySignature(req.headers['x-razorpay-signature']);
      if (!signature) {
        log.info(REFUSED, 'refused: X-Razorpay-Signature missing or not 64 hex digits', loggerOf(req));
        return false;
      }
      let signed = false;
      for (const secret of secrets) signed = timingSafeEqual(createHmac('sha256', secret).update(rawBody).digest(), signature) || signed; // every secret compared
      if (!signed) log.info(REFUSED, 'refused: X-Razorpay-Signature does not match', loggerOf(req));
      return signed;
    },
  };
}

/** `X-Razorpay-Signature` as Razorpay sends it: the hex HMAC-SHA256 of the exact body, keyed by the webhook secret. */
export function razorpaySignature(body: string | Buffer, webhookSecret: string): string {
  return createHmac('sha256', webhookSecret).update(body).digest('hex');
}
