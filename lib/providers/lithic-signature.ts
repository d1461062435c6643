import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Authenticator, DeliveryRequest } from '../auth/authenticator';
import { constantTimeEqual } from '../auth/constant-time';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { logger, loggerOf } from '../log';

const log = logger('lithic');

/**
 * How Lithic's webhooks are authenticated: Standard Webhooks. Each delivery carries `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature` (`v1,<base64>` entries separated by spaces, one per
 * secret while Lithic rotates), the HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>` keyed by the event
 * subscription's secret.
 */
export interface LithicAuth {
  /** The event subscription's secret as Lithic gives it (`whsec_…`); several while you rotate. */
  readonly signingSecret: string | readonly string[];
  /** How far `webhook-timestamp` may be from the delivery's arrival, either way, in ms. Default 300000, the Standard Webhooks libraries' own. */
  readonly toleranceMs?: number;
}

/** The names of `lithic({ auth })`, for the start-up check of option names. */
export const LITHIC_AUTH_NAMES = { signingSecret: true, toleranceMs: true } as const satisfies NamesOf<LithicAuth>;

const MIN_SECRET_BYTES = 16;
const TIMESTAMP = /^\d{1,12}$/;
/** Visible ASCII without spaces: a Standard Webhooks message id (`msg_…`, a UUID). */
export const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;

const list = (value: string | readonly string[]): readonly unknown[] => (typeof value === 'string' ? [value] : Array.isArray(value) ? value : [value]);

/** The `v1,<base64>` entry of a message: `standardwebhooks`' `sign`. */
type Sign = (id: string, at: Date, body: Buffer) => string;

/** A message the library and node:crypto both sign at start-up: they must agree, or the library signs every delivery. */
const PROBE = { id: 'msg_probe', at: new Date(1_700_000_000_000), body: Buffer.from([...Buffer.from('{"probe":"\u00e9"}'), 0xff]) };

function signer(secret: unknown): Sign {
  let webhook: Webhook | undefined;
  try {
    webhook = typeof secret === 'string' ? new Webhook(secret) : undefined;
  } catch {
    webhook = undefined; // not base64 after its whsec_ prefix
  }
  const key = typeof secret === 'string' ? Buffer.from(secret.replace(/^whsec_/, ''), 'base64') : Buffer.alloc(0);
  if (!webhook || key.length < MIN_SECRET_BYTES) {
    throw new ConfigurationError('ERR_NTW_LITHIC_SECRET', `lithic() signingSecret must be the event subscription's secret as Lithic gives it: whsec_ and the base64 of at least ${MIN_SECRET_BYTES} bytes`);
  }
  const library = webhook;
  // What the library's `sign` computes (HMAC-SHA256 of `<id>.<unix seconds>.` and the raw bytes, base64), with
  // node:crypto: the library hashes in JavaScript, several times slower on every delivery.
  const native: Sign = (id, at, body) => `v1,${createHmac('sha256', key).update(`${id}.${Math.floor(at.getTime() / 1000)}.`).update(body).digest('base64')}`;
  return native(PROBE.id, PROBE.at, PROBE.body) === library.sign(PROBE.id, PROBE.at, PROBE.body) ? native : (id, at, body) => library.sign(id, at, body);
}

const header = (req: DeliveryRequest, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function refused(req: DeliveryRequest, reason: string): false {
  log.info({ provider: 'lithic', code: 'unauthorized' }, `refused: ${reason}`, loggerOf(req));
  return false;
}

/**
 * The signature is the `standardwebhooks` library's own `sign` over the message its `verify` signs, computed with
 * node:crypto once a probe signed both ways agreed at start-up (else by the library). Its `verify` is not called:
 * it judges `webhook-timestamp` against `Date.now()` of this process, with a fixed window, and this package judges
 * every signature's time against the delivery's arrival by the clock the instances share (`receivedAt`), so that an
 * instance whose own clock is off accepts what the others accept. The window is checked here first, then the
 * signature as `verify` checks it (the whole `v1,…` entry, any of the entries sent, compared in constant time;
 * every secret and entry compared).
 */
export function lithicSignatureAuthenticator(auth: LithicAuth): Authenticator {
  if (auth === null || typeof auth !== 'object') throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', "lithic(): auth must be an object (or 'none')");
  if (auth.signingSecret === undefined) throw new ConfigurationError('ERR_NTW_LITHIC_SECRET', "lithic() needs auth: { signingSecret }, its event subscription's secret (or auth: 'none' for local testing)");
  const signers = list(auth.signingSecret).map(signer);
  if (signers.length === 0) throw new ConfigurationError('ERR_NTW_LITHIC_SECRET', 'lithic() signingSecret must list at least one secret');
  const tolerance = auth.toleranceMs ?? 300_000;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new ConfigurationError('ERR_NTW_TOLERANCE', 'toleranceMs must be a non-negative number of milliseconds');
  }
  return {
    requiresRawBody: true,
    authenticate(req, rawBody) {
      const id = header(req, 'webhook-id');
      const timestamp = header(req, 'webhook-timestamp');
      const signatures = header(req, 'webhook-signature');
      if (id === undefined || timestamp === undefined || signatures === undefined) return refused(req, 'a webhook-id, webhook-timestamp or webhook-signature header is missing');
      if (!MESSAGE_ID.test(id)) return refused(req, 'webhook-id is not a message id');
      if (!TIMESTAMP.test(timestamp)) return refused(req, 'webhook-timestamp is not unix seconds');
      const at = Number(timestamp) * 1000;
      if (Math.abs((req.receivedAt?.getTime() ?? Date.now()) - at) > tolerance) return refused(req, `webhook-timestamp outside the ${tolerance} ms window`);
      const given = signatures.length > 4096 ? [] : signatures.split(' ').filter((s) => s.startsWith('v1,'));
      let found = false;
      for (const sign of signers) {
        const expected = sign(id, new Date(at), rawBody);
        for (const signature of given) found = constantTimeEqual(signature, expected) || found;
      }
      return found || refused(req, 'no webhook-signature entry matches');
    },
  };
}

/** The three Standard Webhooks headers of `body`, as Lithic sends them: signed with `secret` by the `standardwebhooks` library. */
export function lithicSignatureHeaders(body: string | Buffer, secret: string, id: string, now: number): Record<string, string> {
  const at = new Date(Math.floor(now / 1000) * 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': new Webhook(secret).sign(id, at, body) };
}
