import type { IncomingMessage } from 'node:http';
import type { BasicCredentials } from '../auth/shared-secret';
import { parseAuthorization } from '../auth/shared-secret';
import { constantTimeEqual } from '../auth/constant-time';
import { FailureThrottle } from '../auth/failure-throttle';
import type { ThrottleOptions } from '../auth/failure-throttle';
import type { ConsoleAuthorize } from './options';
import { logger } from '../log';
import type { Logger } from '../log';
import { describeError } from '../shared/describe-error';

const log = logger('console');

/** Why a request was refused: the status and the short text shown. */
export interface AccessDenial {
  readonly status: 401 | 403 | 429;
  readonly message: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const REALM = 'Basic realm="token webhooks console", charset="UTF-8"';

function basicOf(req: IncomingMessage): { username: string; password: string } | undefined {
  const given = parseAuthorization(req.headers.authorization);
  if (given?.scheme !== 'basic') return undefined;
  const decoded = Buffer.from(given.credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Who may use the console: basic credentials (throttled on failures) and/or the host's `authorize`. */
export class ConsoleAccess {
  private readonly throttle: FailureThrottle | undefined;

  constructor(private readonly authorize: ConsoleAuthorize | undefined, private readonly credentials: BasicCredentials | undefined, throttle?: ThrottleOptions,
    private readonly logTo?: Logger) {
    this.throttle = credentials
      ? new FailureThrottle(throttle, 'console', (username) => username === credentials.username, 'ERR_NTW_OPTION') : undefined;
  }

  /** `undefined` when the request may go on. */
  async check(req: IncomingMessage): Promise<AccessDenial | undefined> {
    if (this.credentials && this.throttle) {
      const given = basicOf(req);
      // as Express resolves it (honouring `trust proxy`), else the socket's
      const address = (req as IncomingMessage & { ip?: string }).ip ?? req.socket.remoteAddress;
      const standing = await this.throttle.check(address, given?.username);
      const wait = standing.retryAfter;
      if (wait !== undefined) return { status: 429, message: 'Too many failed sign-ins; try again later.', headers: { 'retry-after': String(wait) } };
      const ok = given !== undefined && constantTimeEqual(given.username, this.credentials.username)
        && constantTimeEqual(given.password, this.credentials.password);
      if (!ok) {
        if (given) await this.throttle.failed(standing);
        return { status: 401, message: 'Sign in to see the console.', headers: { 'www-authenticate': REALM } };
      }
      await this.throttle.succeeded(standing);
    }
    if (this.authorize) {
      let allowed = false;
      try {
        allowed = (await this.authorize(req)) === true;
      } catch (error) {
        log.error({ error: describeError(error) }, 'authorize threw: the request is refused', this.logTo);
      }
      if (!allowed) return { status: 403, message: 'You are not allowed to see this console.' };
    }
    return undefined;
  }

  close(): void {
    this.throttle?.shutdown();
  }
}
