import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { chromiumPath } from './chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync'];
/** The longest wait for one page or element: generous on a loaded 2-core machine, and a bound all the same. */
export const WAIT_MS = 15_000;

export const listen = (app: Express, host = '127.0.0.1') => new Promise<Server>((resolve) => {
  const server = app.listen(0, host, () => resolve(server));
});
export const portOf = (server: Server) => (server.address() as AddressInfo).port;

/** Headless Chromium sessions, each in a profile of its own, closed (and their profiles removed) together. */
export class BrowserSessions {
  private readonly contexts: BrowserContext[] = [];
  private readonly dirs: string[] = [];

  /** A page of a new session, signed in with `credentials` when given, at `viewport` (default 1280 × 800). */
  async open(options: { credentials?: { username: string; password: string }; viewport?: { width: number; height: number } } = {}): Promise<Page> {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-chromium-'));
    this.dirs.push(dir);
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath(), headless: true, args: ARGS, timeout: WAIT_MS, viewport: options.viewport ?? { width: 1280, height: 800 },
      ...(options.credentials ? { httpCredentials: options.credentials } : {}),
    });
    this.contexts.push(context);
    context.setDefaultTimeout(WAIT_MS);
    return context.pages()[0] ?? context.newPage();
  }

  async close(): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => undefined);
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/** The messages of Content-Security-Policy violations the page reports on its console, from now on. */
export function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
  return violations;
}

/** What sticks out of the page's width: elements wider than the viewport that no scrolling box of theirs contains. */
export interface Overflow {
  readonly viewport: number;
  readonly scrollWidth: number;
  readonly outside: readonly string[];
}

// Evaluated in the page (the tests' types have no DOM): every element's box against the viewport's width.
const OVERFLOW_SCRIPT = `(() => {
  const width = document.documentElement.clientWidth;
  const scrolled = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll' || x === 'hidden') return true;
    }
    return false;
  };
  const outside = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || (box.right <= width + 0.5 && box.left >= -0.5) || scrolled(el)) continue;
    outside.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + ' ' + Math.round(box.left) + '..' + Math.round(box.right));
  }
  return { viewport: width, scrollWidth: document.documentElement.scrollWidth, outside };
})()`;

export const overflowOf = (page: Page): Promise<Overflow> => page.evaluate(OVERFLOW_SCRIPT) as Promise<Overflow>;
