import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { parse as parseContentType } from 'content-type';
import { logger } from '../log';
import { describeError } from '../shared/describe-error';
import type { OAuthClientCredentialsOptions } from './client-credentials';
import { clientCredentials } from './client-credentials';
import { signToken, verifyToken } from './signed-token';
import { FailureThrottle } from './failure-throttle';
import type { Standing } from './failure-throttle';

const log = logger('oauth');
const BODY_LIMIT = 8 * 1024;

/** Verifies bearer tokens: what an endpoint's `auth.oauth` accepts. */
export interface OAuthTokenVerifier {
  /** `true` when `token` was issued by this endpoint (or one with the same credentials) and has not expired. */
  verify(token: string): boolean | Promise<boolean>;
}

/**
 * An OAuth2 token endpoint for the client credentials grant (RFC 6749 section 4.4), as an
 * Express-compatible handler, that can also verify the tokens it issues.
 */
export interface OAuthTokenEndpoint extends OAuthTokenVerifier {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  readonly audience: string;
  /** Resolves `true` when `token` was issued by this endpoint (or one with the same credentials) and has not expired. */
  verify(token: string): Promise<boolean>;
}

/** Resolves `true`, or why the token is refused (for the DEBUG log, never for the answer). */
export type BearerCheck = (token: string) => Promise<true | string>;

const checks = new WeakMap<OAuthTokenVerifier, BearerCheck>();
const throttles = new WeakMap<OAuthTokenVerifier, FailureThrottle>();

/** The failure throttle of an endpoint this module made, if it has one (tests and diagnostics). */
export function throttleOf(endpoint: OAuthTokenVerifier): FailureThrottle | undefined {
  return throttles.get(endpoint);
}

/** How to check bearer tokens against `verifier`: with the refusal's reason when this module made it. */
export function bearerCheck(verifier: OAuthTokenVerifier): BearerCheck {
  return checks.get(verifier) ?? (async (token) => (await verifier.verify(token)) === true || 'not verified by auth.oauth');
}

type OAuthError = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'server_error' | 'temporarily_unavailable';

interface TokenRequest extends IncomingMessage {
  body?: unknown;
  _body?: boolean;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Pragma', 'no-cache');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(text);
}

class TokenRequestError extends Error {
  constructor(readonly error: OAuthError, readonly status: number, description: string, readonly retryAfter?: number) {
    super(description);
  }
}

const fail = (error: OAuthError, status: number, description: string) => new TokenRequestError(error, status, description);

/** The request parameters: from a body a host parser already read, else from the stream (form or JSON). */
async function readParams(req: TokenRequest): Promise<Record<string, string>> {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const take = (entries: Iterable<[string, unknown]>) => {
    for (const [k, v] of entries) if (typeof v === 'string' && !(k in params)) params[k] = v;
  };
  if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) {
    take(Object.entries(req.body));
    return params;
  }
  let type: string;
  try {
    type = parseContentType(req.headers['content-type'] ?? '').type;
  } catch {
    throw fail('invalid_request', 400, 'Content-Type must be application/x-www-form-urlencoded.');
  }
  let text: string;
  if (Buffer.isBuffer(req.body) || typeof req.body === 'string') {
    text = req.body.toString();
  } else if (req._body === true || req.readableEnded) {
    text = '';
  } else {
    try {
      text = (await getRawBody(req, { limit: BODY_LIMIT, length: req.headers['content-length'], encoding: 'utf8' }));
    } catch (err) {
      const tooLarge = (err as { type?: string }).type === 'entity.too.large';
      throw fail('invalid_request', tooLarge ? 413 : 400, tooLarge ? 'Request body is too large.' : 'Request body could not be read.');
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    take(new URLSearchParams(text));
  } else if (type === 'application/json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw fail('invalid_request', 400, 'Request body is not valid JSON.');
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) take(Object.entries(value));
  } else {
    throw fail('invalid_request', 400, 'Content-Type must be application/x-www-form-urlencoded.');
  }
  return params;
}

/** `client_secret_basic`: the id and secret are form-urlencoded, then joined by `:` (RFC 6749 section 2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw fail('invalid_client', 401, 'Client authentication failed.');
  const unescape = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
}

/**
 * `POST` with `grant_type=client_credentials` and the client's credentials (HTTP Basic or
 * `client_id`/`client_secret` in the body) → `{ access_token, token_type: "Bearer", expires_in }`.
 * Tokens are HMAC-signed JWTs (see `signed-token.ts`): nothing is stored, any instance verifies them.
 */
export function oauthTokenEndpoint(options: OAuthClientCredentialsOptions, audience: string): OAuthTokenEndpoint {
  const credentials = clientCredentials(options, audience);
  const configured = new Set(credentials.keys.map((k) => k.subject));
  const throttle = options.throttle === false ? undefined
    : new FailureThrottle(options.throttle, `oauth:${audience}`, (clientId) => configured.has(clientId), 'ERR_NTW_OAUTH');

  async function issue(req: TokenRequest): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    if (req.method !== 'POST') throw fail('invalid_request', 405, 'Use POST.');
    const address = (req as { ip?: string }).ip ?? req.socket?.remoteAddress;
    const refuse = async (standing: Standing | undefined) => {
      if (standing) await throttle?.failed(standing);
      return fail('invalid_client', 401, 'Client authentication failed.');
    };
    const check = async (clientId: string | undefined): Promise<Standing | undefined> => {
      const standing = await throttle?.check(address, clientId);
      const wait = standing?.retryAfter;
      if (wait !== undefined) throw new TokenRequestError('temporarily_unavailable', 429, `Too many failed attempts: retry in ${wait} seconds.`, wait);
      return standing;
    };
    const fromAddress = await check(undefined); // an address over its limit is refused before its body is read
    const authorization = req.headers.authorization;
    const basic = basicCredentials(authorization);
    if (authorization && !basic) throw await refuse(fromAddress);
    const params = await readParams(req);
    if (!params.grant_type) throw fail('invalid_request', 400, 'grant_type is required.');
    if (params.grant_type !== 'client_credentials') throw fail('unsupported_grant_type', 400, 'Only client_credentials is supported.');
    const inBody = params.client_id !== undefined || params.client_secret !== undefined;
    if (basic && inBody) throw fail('invalid_request', 400, 'Use one client authentication method.');
    const id = basic?.id ?? params.client_id ?? '';
    const secret = basic?.secret ?? params.client_secret ?? '';
    const standing = id ? await check(id) : fromAddress;
    const key = credentials.match(id, secret);
    if (!key) throw await refuse(standing);
    if (standing) await throttle?.succeeded(standing);
    const accessToken = await signToken(key, audience, credentials.ttl, credentials.now());
    return { access_token: accessToken, token_type: 'Bearer', expires_in: credentials.ttl };
  }

  const endpoint = ((req: TokenRequest, res: ServerResponse) => {
    issue(req).then(
      (token) => {
        log.debug({ provider: audience, status: 200 }, `${audience} access token issued`);
        send(res, 200, token);
      },
      (thrown: unknown) => {
        if (!(thrown instanceof TokenRequestError)) log.error({ provider: audience, error: describeError(thrown) }, `${audience} token could not be issued`);
        const error = thrown instanceof TokenRequestError ? thrown : fail('server_error', 500, 'The token could not be issued.');
        log.info({ provider: audience, status: error.status, code: error.error }, `${audience} token request refused: ${error.status} ${error.error}`);
        const headers: Record<string, string> = {};
        if (error.status === 401) headers['WWW-Authenticate'] = 'Basic realm="network-token-webhooks", charset="UTF-8"';
        if (error.status === 405) headers.Allow = 'POST';
        if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter);
        send(res, error.status, { error: error.error, error_description: error.message }, headers);
        if (!req.readableEnded) req.resume();
      },
    );
  }) as OAuthTokenEndpoint;

  const check: BearerCheck = (token) => verifyToken(token, credentials.keys, {
    audience, nowMs: credentials.now(), clockTolerance: credentials.clockTolerance,
  });
  const verifier = Object.assign(endpoint, { audience, verify: async (token: string) => (await check(token)) === true });
  checks.set(verifier, check);
  if (throttle) throttles.set(verifier, throttle);
  return verifier;
}
