import type { Authenticator, DeliveryRequest } from './authenticator';
import { ConfigurationError } from '../errors';
import type { NamesOf } from '../option-names';
import { matchesAny } from './constant-time';
import { ipAllowList } from './ip-allow-list';
import { logger, loggerOf } from '../log';

const log = logger('auth');

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Shared-secret authentication for providers that sign nothing. Give one secret, or several
 * while you rotate: any configured one is accepted. With `allowIps`, the sender's address
 * (as Express resolves it, honouring `trust proxy`) must also be in the list.
 */
export interface SharedSecretAuth {
  readonly bearer?: string | readonly string[];
  readonly basic?: BasicCredentials | readonly BasicCredentials[];
  readonly allowIps?: readonly string[];
}

/** The names of a shared-secret `auth` object, for the start-up check of option names. */
export const SHARED_SECRET_NAMES = { bearer: true, basic: true, allowIps: true } as const satisfies NamesOf<SharedSecretAuth>;

/** Logs why a delivery was refused (the sender learns nothing but 401). */
function refused(req: DeliveryRequest, what: string, reason: string): false {
  log.info({ provider: what.replace(/\(\)$/, ''), code: 'unauthorized' }, `${what} refused: ${reason}`, loggerOf(req));
  return false;
}

const list = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

function header(req: DeliveryRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** RFC 6750's b64token: what a bearer token may hold. */
const B64TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/** The credentials of an `Authorization` header, or `undefined`. */
export function parseAuthorization(value: string | undefined): { scheme: string; credentials: string } | undefined {
  const match = /^([A-Za-z]+) +([A-Za-z0-9._~+/=-]+) *$/.exec(value ?? '');
  return match ? { scheme: match[1]!.toLowerCase(), credentials: match[2]! } : undefined;
}

/** What a provider built on `sharedSecretAuthenticator` may add to the shared secrets. */
export interface SharedSecretExtras {
  /**
   * Also accept bearer tokens this function vouches for (tokens issued by an OAuth token endpoint): it resolves
   * `true`, or why not (logged under DEBUG when no static bearer matches either; never in the answer).
   */
  readonly verifyBearer?: (token: string) => Promise<true | string>;
}

export function sharedSecretAuthenticator(auth: SharedSecretAuth, what: string, extras: SharedSecretExtras = {}): Authenticator {
  if (auth === null || typeof auth !== 'object') {
    throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', `${what}: auth must be an object (or 'none')`);
  }
  const { verifyBearer } = extras;
  const bearers = list(auth.bearer);
  const basics = list(auth.basic).map((c) => {
    if (!c || typeof c.username !== 'string' || typeof c.password !== 'string' || c.username.includes(':')) {
      throw new ConfigurationError('ERR_NTW_AUTH_BASIC', `${what}: basic credentials need a username (without ":") and a password`);
    }
    return Buffer.from(`${c.username}:${c.password}`).toString('base64');
  });
  if (bearers.some((b) => typeof b !== 'string' || b.length < 16)) {
    throw new ConfigurationError('ERR_NTW_AUTH_BEARER', `${what}: bearer secrets must be strings of at least 16 characters`);
  }
  if (bearers.some((b) => !B64TOKEN.test(b))) {
    throw new ConfigurationError('ERR_NTW_AUTH_BEARER', `${what}: a bearer secret has characters an Authorization header cannot carry `
      + '(RFC 6750 allows letters, digits, - . _ ~ + / and = at the end): every delivery would be refused. Generate one with randomBytes(32).toString(\'base64url\')');
  }
  const allowed = auth.allowIps ? ipAllowList(auth.allowIps) : undefined;
  if (bearers.length === 0 && basics.length === 0 && !verifyBearer && !allowed) {
    throw new ConfigurationError('ERR_NTW_AUTH_EMPTY', `${what}: auth needs bearer, basic or allowIps (or auth: 'none')`);
  }
  const needsCredentials = bearers.length > 0 || basics.length > 0 || verifyBearer !== undefined;
  return {
    requiresRawBody: false,
    authenticate(req) {
      if (allowed && !allowed(req.ip)) return refused(req, what, 'the source address is not in allowIps');
      if (!needsCredentials) return true;
      const value = header(req, 'authorization');
      const given = parseAuthorization(value);
      if (!given) return refused(req, what, value === undefined ? 'no Authorization header' : 'an Authorization header that is not "<scheme> <token68>"');
      if (given.scheme === 'bearer') {
        const staticMatch = matchesAny(given.credentials, bearers);
        if (!verifyBearer) return staticMatch || refused(req, what, 'the bearer token matches no secret and no issued token');
        return verifyBearer(given.credentials).then((issued) => // always run: time does not say which matched
          staticMatch || issued === true || refused(req, what, `the bearer token matches no secret and no issued token (${issued})`));
      }
      if (given.scheme === 'basic') return matchesAny(given.credentials, basics) || refused(req, what, 'the basic credentials match none configured');
      return refused(req, what, `the Authorization scheme "${given.scheme}" is not accepted`);
    },
  };
}
