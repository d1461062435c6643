import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import type { ConsoleOptions } from './options';
import { resolveConsoleOptions } from './options';
import type { ConsoleSource, PageContext, PageResult } from './context';
import { ConsoleAccess } from './access';
import { CsrfGuard } from './csrf';
import { html } from './html';
import type { Html } from './html';
import type { Section } from './layout';
import { layout } from './layout';
import { STYLESHEET } from './style';
import { overviewPage } from './pages/overview';
import { timelinePage } from './pages/timeline';
import { inboxPage } from './pages/inbox';
import { eventPage } from './pages/event';
import { bulkReplayPage } from './pages/bulk-replay';
import { runAgainPage } from './pages/run-again';
import type { Action } from './actions';
import { bulkReplayAction, replayAction } from './actions';
import { FlashCookies } from './flash';
import { eventsPage } from './pages/events';
import { StorageError } from '../errors';
import { describeError } from '../shared/describe-error';
import { logger } from '../log';

const log = logger('console');

/** The operations console as Express mounts it (`app.use(path, console)`), typed on Node's request and response. */
export type ConsoleMiddleware = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void) & {
  /** Stop the sign-in throttle's timers (the receiver's `close()` does it too). */
  close(): void;
};

/**
 * No script, no inline style, nothing from elsewhere, never framed; forms post only back here. The referrer
 * (URLs name token references) goes to no other site; `no-referrer` would make browsers send `Origin: null`
 * with the console's own forms.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

type Page = (ctx: PageContext) => Promise<PageResult>;
/** Each page, its section of the navigation, and whether the `refreshSeconds` option reloads it (pages without a form to fill). */
const PAGES: Readonly<Record<string, { page: Page; section?: Section; refresh?: true }>> = {
  '/': { page: overviewPage, section: 'overview', refresh: true },
  '/tokens': { page: timelinePage, section: 'tokens' },
  '/events': { page: eventsPage, section: 'events' },
  '/inbox': { page: inboxPage, section: 'inbox', refresh: true },
  '/event': { page: eventPage, refresh: true },
  '/bulk-replay': { page: bulkReplayPage, section: 'inbox' },
  '/run-again': { page: runAgainPage },
};

/** The forms' POSTs, each guarded against forgery before it runs. */
const ACTIONS: Readonly<Record<string, Action>> = {
  '/replay': replayAction,
  '/bulk-replay': bulkReplayAction,
};

/** The largest form accepted: a provider name, an id of 512 characters, a token, a window. */
const FORM_LIMIT = 8 * 1024;

interface ExpressLike extends IncomingMessage {
  readonly baseUrl?: string;
  readonly secure?: boolean;
  readonly body?: unknown;
}

/** Where the console is mounted, without a trailing slash and with one leading slash: links and the replay redirect never become protocol-relative (`//host/…`). */
const baseOf = (req: ExpressLike) => (req.baseUrl ?? '').replace(/\/+$/, '').replace(/^\/+/, '/');

function send(res: ServerResponse, status: number, type: string, body: string, headers: Readonly<Record<string, string | string[]>> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The form fields of a POST: from a body parser the host mounted before, or read here (URL-encoded, bounded). */
async function formOf(req: ExpressLike): Promise<URLSearchParams> {
  const parsed = req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body as Record<string, unknown> : undefined;
  // Express 4's body parsers set `{}` for a body they do not parse: read the stream then, unless it was read
  if (parsed && (Object.keys(parsed).length > 0 || req.readableEnded)) {
    const fields = new URLSearchParams();
    for (const [name, value] of Object.entries(parsed)) if (typeof value === 'string') fields.set(name, value);
    return fields;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded' || req.readableEnded) return new URLSearchParams();
  return new URLSearchParams(await getRawBody(req, { limit: FORM_LIMIT, encoding: 'utf8' }));
}

/** Build the console of one receiver. Options are checked here, at start-up. */
export function createConsole(source: ConsoleSource, options: ConsoleOptions): ConsoleMiddleware {
  const settings = resolveConsoleOptions(options, () => randomBytes(32));
  const access = new ConsoleAccess(settings.authorize, settings.credentials, options.throttle, source.logger);
  const csrf = new CsrfGuard(settings.secret);

  const handle = async (req: ExpressLike, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const base = baseOf(req);
    const refusal = await access.check(req);
    if (refusal) {
      send(res, refusal.status, 'text/plain; charset=utf-8', `${refusal.message}\n`, refusal.headers);
      return;
    }
    if (url.pathname === '/console.css') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
      return send(res, 200, 'text/css; charset=utf-8', STYLESHEET, { 'cache-control': 'private, max-age=3600' });
    }
    const secure = req.secure ?? Boolean((req.socket as { encrypted?: boolean }).encrypted);
    const session = csrf.session(req, base || '/', secure);
    const flashes = new FlashCookies(base || '/', secure);
    const cookies: string[] = session.setCookie ? [session.setCookie] : [];
    const render = (status: number, section: Section | undefined, title: string, body: Html, refresh?: number) =>
      send(res, status, 'text/html; charset=utf-8', layout(base, section, title, body, refresh), cookies.length ? { 'set-cookie': cookies } : {});

    const action = ACTIONS[url.pathname];
    const route = PAGES[url.pathname];
    if (action && (req.method === 'POST' || !route)) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'Replay is a POST from the console\'s own form.\n', { allow: 'POST' });
      let form: URLSearchParams;
      try {
        form = await formOf(req);
      } catch {
        return render(400, undefined, 'Refused', html`<p class="notice bad">The form could not be read.</p>`);
      }
      const why = csrf.refusal(req, form.get('csrf') ?? undefined);
      if (why) {
        log.warn({ code: 'forbidden', reason: why }, 'replay refused', source.logger);
        return render(403, undefined, 'Refused', html`<p class="notice bad">Replay refused: ${why}.</p>`);
      }
      const done = await action({ form, base, source, flash: flashes });
      if ('status' in done) return render(done.status, undefined, done.title, done.body);
      if (done.setCookie) cookies.push(done.setCookie);
      res.writeHead(303, { ...SECURITY_HEADERS, ...(cookies.length ? { 'set-cookie': cookies } : {}), location: done.redirect, 'content-length': 0 });
      res.end();
      return;
    }
    if (!route) return render(404, undefined, 'Not found', html`<p class="notice bad">No such page.</p>`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
    const shown = flashes.take(req, url.searchParams.get('flash'));
    if (shown.clear) cookies.push(shown.clear);
    const ctx: PageContext = {
      base, source, query: url.searchParams, csrf: csrf.token(session.value), windowMinutes: settings.windowMinutes, pageSize: settings.pageSize,
      flash: shown.flash,
    };
    const page = await route.page(ctx);
    render(page.status ?? 200, route.section, page.title, page.body, route.refresh && page.status === undefined ? settings.refreshSeconds : undefined);
  };

  const middleware = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof StorageError) {
        // the message names the database and what failed, never a credential
        const body = html`<p class="notice bad">The storage did not answer: ${error.message}</p><p>Deliveries are answered retry-later meanwhile; providers retry. See the runbook: storage is down.</p>`;
        send(res, 503, 'text/html; charset=utf-8', layout(baseOf(req), undefined, 'Storage unavailable', body), { 'retry-after': '5' });
        return;
      }
      log.error({ error: describeError(error) }, 'console error', source.logger);
      next(error);
    });
  }) as ConsoleMiddleware;
  middleware.close = () => access.close();
  return middleware;
}
