import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parse, serialize } from 'cookie';

export const FLASH_COOKIE = 'ntw_console_flash';

/** What a replay form did: one event (`replay`) or many (`bulk`), and how many were replayed. */
export interface Flash {
  readonly kind: 'replay' | 'bulk';
  readonly replayed: number;
}

const VALUE = /^([A-Za-z0-9_-]{22})\.(replay|bulk)\.(\d{1,6})$/;
/** Long enough to follow the redirect, short enough not to outlive it by much. */
const MAX_AGE_S = 120;

/**
 * A one-shot message after a form's POST (Post/Redirect/Get): the POST sets it in a cookie with a random marker
 * and redirects to a URL that names the marker; that page shows it and clears the cookie, so a reload, a
 * bookmark or the back button never shows it again, nor does another tab.
 */
export class FlashCookies {
  constructor(private readonly path: string, private readonly secure: boolean) {}

  /** The `Set-Cookie` header that holds `flash`, and the marker the redirect names (`?flash=<marker>`). */
  set(flash: Flash): { readonly marker: string; readonly setCookie: string } {
    const marker = randomBytes(16).toString('base64url');
    return { marker, setCookie: this.cookie(`${marker}.${flash.kind}.${flash.replayed}`, MAX_AGE_S) };
  }

  /** The flash this request's URL names, if its cookie holds it, with the `Set-Cookie` header that clears it. */
  take(req: IncomingMessage, marker: string | null): { readonly flash?: Flash; readonly clear?: string } {
    if (!marker) return {};
    const match = VALUE.exec(parse(req.headers.cookie ?? '')[FLASH_COOKIE] ?? '');
    if (!match || match[1] !== marker) return {};
    return { flash: { kind: match[2] as Flash['kind'], replayed: Number(match[3]) }, clear: this.cookie('', 0) };
  }

  private cookie(value: string, maxAge: number): string {
    return serialize(FLASH_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure: this.secure, path: this.path || '/', maxAge });
  }
}
