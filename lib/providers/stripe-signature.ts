import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Authenticator } from '../auth/authenticator';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';
import { parseTimestampedSignatures } from '../auth/timestamped-signatures';

const log = logger('stripe');
const REFUSED = { provider: 'stripe', code: 'unauthorized' } as const;

/**
 * How Stripe signs a webhook delivery: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, each `v1` the
 * HMAC-SHA256 of `<t>.<raw body>` keyed by an endpoint signing secret (`whsec_…`, its UTF-8 bytes, as stripe-node's
 * `computeHMACSignature` keys it). While Stripe rolls a secret, it signs with the old and the new one: several `v1`.
 */
export interface StripeAuth {
  /** The endpoint's signing secret (`whsec_…`); several while you roll it (Stripe keeps the old one up to 24 hours). */
  readonly signingSecret: string | readonly string[];
  /**
   * How far `t` may be from the delivery's receipt, in ms, either way. Default 300000: stripe-node's
   * `DEFAULT_TOLERANCE` (300 s). Stripe signs every attempt anew, so a retry is never older than this.
   */
  readonly toleranceMs?: number;
}

/** The names of `stripe({ auth })`, for the start-up check of option names. */
export const STRIPE_AUTH_NAMES = { signingSecret: true, toleranceMs: true } as const satisfies NamesOf<StripeAuth>;

const MIN_SECRET_LENGTH = 16;
const DEFAULT_TOLERANCE_MS = 300_000;
/** A header longer than this is no Stripe header (a few `v1`, a `v0` in test mode, debug fields): not parsed. */
const MAX_HEADER_LENGTH = 4096;

/** `t` and every `v1` of the header (several while a secret rolls), or `undefined`. Other schemes (`v0`) are ignored, as stripe-node does. */
export function parseStripeSignature(value: string | string[] | undefined): { t: number; signatures: Buffer[] } | undefined {
  const parsed = parseTimestampedSignatures(value, { scheme: 'v1', maxLength: MAX_HEADER_LENGTH, maxTimeDigits: 12 });
  return parsed && { t: Number(parsed.t), signatures: parsed.signatures };
}

const list = (value: string | readonly string[] | undefined): readonly unknown[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value];

function secretsOf(auth: StripeAuth): Buffer[] {
  const secrets = list(auth.signingSecret).map((secret) => {
    if (typeof secret !== 'string' || secret.trim().length < MIN_SECRET_LENGTH) {
      throw new ConfigurationError('ERR_NTW_STRIPE_SECRET', `stripe() signing secrets must be strings of at least ${MIN_SECRET_LENGTH} characters: the endpoint's signing secret (whsec_…)`);
    }
    // The most common mistake with Stripe webhooks: the account's API key where the endpoint's secret belongs.
    if (/^(sk|rk|pk)_(live|test)_/.test(secret)) {
      throw new ConfigurationError('ERR_NTW_STRIPE_SECRET', "stripe() was given an API key: the signing secret is the webhook endpoint's own (whsec_…, in the Dashboard's Webhooks page)");
    }
    return Buffer.from(secret, 'utf8');
  });
  if (secrets.length === 0) throw new ConfigurationError('ERR_NTW_STRIPE_SECRET', "stripe() needs auth: { signingSecret }, the endpoint's signing secret (whsec_…), or auth: 'none' for local testing");
  return secrets;
}

export function stripeSignatureAuthenticator(auth: StripeAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "stripe(): auth must be an object (or 'none')");
  const secrets = secretsOf(auth);
  const tolerance = auth.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigurationError('ERR_NTW_TOLERANCE', 'stripe() toleranceMs must be a non-negative number of milliseconds');
  }
  return {
    requiresRawBody: true,
    authenticate(req, rawBody) {
      const header = parseStripeSignature(req.headers['stripe-signature']);
      if (!header) {
        log.info(REFUSED, 'refused: Stripe-Signature missing, malformed or without a v1 signature', loggerOf(req));
        return false;
      }
      // stripe-node bounds only the age; a t far ahead is refused too, by the same window.
      const age = (req.receivedAt?.getTime() ?? Date.now()) - header.t * 1000;
      if (Math.abs(age) > tolerance) {
        log.info(REFUSED, `refused: t is ${age > 0 ? 'older than' : 'ahead of'} the ${tolerance} ms window`, loggerOf(req));
        return false;
      }
      let found = false;
      for (const secret of secrets) {
        const expected = createHmac('sha256', secret).update(`${header.t}.`).update(rawBody).digest();
        for (const signature of header.signatures) found = timingSafeEqual(expected, signature) || found; // every pair compared
      }
      if (!found) log.info(REFUSED, 'refused: no v1 signature matches', loggerOf(req));
      return found;
    },
  };
}

/** `Stripe-Signature` as Stripe sends it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one `v1` per secret given. */
export function stripeSignature(body: string | Buffer, signingSecret: string | readonly string[], options: { t?: number } = {}): string {
  const t = options.t ?? Math.floor(Date.now() / 1000);
  const secrets = typeof signingSecret === 'string' ? [signingSecret] : signingSecret;
  return [`t=${t}`, ...secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex')}`)].join(',');
}
