import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse, serialize } from 'cookie';
import { constantTimeEqual } from '../auth/constant-time';

export const CSRF_COOKIE = 'ntw_console_csrf';

/**
 * Forms are protected against cross-site requests in three ways, each enough on its own in a current browser:
 * the browser's `Sec-Fetch-Site` must say same-origin; an `Origin` must be this host; and the form must carry
 * the HMAC of a random value kept in a SameSite=Strict, HttpOnly cookie (signed double submit), which another
 * site can neither read nor make the browser send.
 */
export class CsrfGuard {
  constructor(private readonly secret: Buffer) {}

  /** This browser's cookie value, or a new one with the `Set-Cookie` header that stores it. */
  session(req: IncomingMessage, path: string, secure: boolean): { value: string; setCookie?: string } {
    const existing = parse(req.headers.cookie ?? '')[CSRF_COOKIE];
    if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { value: existing };
    const value = randomBytes(32).toString('base64url');
    return { value, setCookie: serialize(CSRF_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure, path: path || '/' }) };
  }

  token(session: string): string {
    return createHmac('sha256', this.secret).update(session).digest('base64url');
  }

  /** Why a form POST is refused, or `undefined` when it came from this console in this browser. */
  refusal(req: IncomingMessage, formToken: string | undefined): string | undefined {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return `cross-site request (Sec-Fetch-Site: ${site})`;
    const origin = req.headers.origin;
    if (origin !== undefined && !sameHost(origin, req.headers.host)) return 'cross-origin request (Origin is another site)';
    const session = parse(req.headers.cookie ?? '')[CSRF_COOKIE];
    if (!session) return 'no console cookie: reload the page and try again';
    if (!formToken || !constantTimeEqual(formToken, this.token(session))) return 'the form token does not match: reload the page and try again';
    return undefined;
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    const from = new URL(origin);
    return host !== undefined && from.host === new URL(`${from.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
