import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Page } from 'playwright-core';
import type { InboxTokenWebhooks, TokenEvent } from '../../lib';
import { MOUNT, OPS, consoleApp } from './support';
import type { ConsoleApp } from './support';
import { needChromium } from './chromium';
import { BrowserSessions, cspViolations, listen, overflowOf, portOf } from './browser-session';

const ARTIFACTS = join(__dirname, '..', 'artifacts');
/** What a downstream's failure looks like in a last error: long, with a URL and no space for a while. */
const LONG_ERROR = 'POST https://payments.internal.example/v1/network-tokens/lifecycle/suspensions?idempotency_key=9f1c2ab4-77e0-4a55-b1d2-0c3e5f6a7b8c '
  + 'answered 503 Service Unavailable: upstream connect error or disconnect/reset before headers. reset reason: connection termination';

describe('operations console in a real browser: bulk replay, run again, a phone\'s width (headless Chromium)', function () {
  this.timeout(180_000);
  let c: ConsoleApp;
  let server: Server;
  let base: string;
  let longFailure = false;
  const sessions = new BrowserSessions();

  before(async function () {
    needChromium(this);
    mkdirSync(ARTIFACTS, { recursive: true });
    c = consoleApp({ mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
    c.webhooks.onEvent(() => {
      if (longFailure) throw new Error(LONG_ERROR);
    });
    await c.webhooks.ready();
    server = await listen(c.app);
    base = `http://127.0.0.1:${portOf(server)}${MOUNT}`;
  });

  after(async function () {
    await sessions.close();
    if (server) await new Promise((resolve) => server.close(resolve));
    await c?.webhooks.close();
  });

  const inbox = () => c.webhooks as unknown as InboxTokenWebhooks<TokenEvent>;
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

  /** Events whose handlers fail on their one attempt: dead letters. */
  async function deadLetters(tokenRefs: readonly string[], long = false): Promise<string[]> {
    c.failing = !long;
    longFailure = long;
    try {
      const ids: string[] = [];
      for (const tokenRef of tokenRefs) ids.push(await c.send('active', tokenRef));
      await inbox().processInbox();
      return ids;
    } finally {
      c.failing = false;
      longFailure = false;
    }
  }

  it('dead letters → count → confirm → replayed → done, the notice once, with no CSP violation', async () => {
    const ids = await deadLetters(['TOK-BULK-1', 'TOK-BULK-2', 'TOK-BULK-3']);
    const page = await sessions.open({ credentials: OPS });
    const violations = cspViolations(page);
    await page.goto(`${base}/inbox`);
    await page.getByRole('button', { name: 'Replay dead letters in bulk…' }).click();
    await page.getByRole('heading', { name: 'Replay in bulk' }).waitFor();
    expect(await page.getByRole('status').innerText()).to.equal('3 dead letters.');
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('tokenex');
    await page.getByRole('button', { name: 'Count' }).click();
    expect(await page.getByRole('status').innerText()).to.equal('3 dead letters of tokenex.');
    for (const id of ids) await page.getByRole('link', { name: id }).waitFor();
    await shot(page, 'bulk-replay-count');

    await page.getByRole('button', { name: 'Replay 3 dead letters' }).click();
    await page.getByRole('heading', { name: 'Inbox and dead letters' }).waitFor();
    expect(await page.getByRole('status').innerText()).to.equal('Replayed 3 events: the worker runs them.');
    expect(await page.locator('h2:has-text("Pending") + p + table').innerText()).to.include('TOK-BULK-1');
    await shot(page, 'bulk-replayed');
    await page.reload();
    expect(await page.getByRole('status').count()).to.equal(0, 'the notice is gone after a reload');

    expect(await inbox().processInbox()).to.equal(3);
    await page.reload();
    expect(await page.locator('main').innerText()).to.include('No dead letters.').and.not.include('TOK-BULK-');
    await page.goto(`${base}/event?provider=tokenex&id=${ids[0]}`);
    expect(await page.locator('dl.facts').innerText()).to.match(/Status\s+done/);
    expect(violations).to.deep.equal([], 'no Content-Security-Policy violation');
  });

  it('"Run again…" on a done event asks first, then runs it, and the notice does not survive a reload', async () => {
    const id = await c.send('active', 'TOK-AGAIN');
    await inbox().processInbox();
    const page = await sessions.open({ credentials: OPS });
    const violations = cspViolations(page);
    await page.goto(`${base}/event?provider=tokenex&id=${id}`);
    await page.getByRole('button', { name: 'Run again…' }).click();
    await page.getByRole('heading', { name: 'Run again?' }).waitFor();
    await shot(page, 'run-again');
    await page.getByRole('button', { name: 'Run again', exact: true }).click();
    await page.getByRole('heading', { name: 'Event' }).waitFor();
    expect(await page.getByRole('status').innerText()).to.match(/^Replayed the event \(the worker runs it\)\. It is now (pending|running|done)\.$/);
    await page.reload();
    expect(await page.getByRole('status').count()).to.equal(0);
    expect(violations).to.deep.equal([]);
  });

  it('at 390 px wide no page sticks out sideways: tables scroll inside themselves, a long error wraps by words', async () => {
    const [dead] = await deadLetters(['TOK-NARROW-WITH-A-LONG-TOKEN-REFERENCE-0123456789'], true);
    const done = await c.send('active', 'TOK-NARROW-DONE');
    await inbox().processInbox();
    const page = await sessions.open({ credentials: OPS, viewport: { width: 390, height: 844 } });
    const violations = cspViolations(page);
    const pages: [string, string][] = [
      ['overview', '/'], ['events', '/events?status=dead&provider=tokenex'], ['timeline', '/tokens?provider=tokenex&tokenRef=TOK-NARROW-DONE'], ['inbox', '/inbox'],
      ['event', `/event?provider=tokenex&id=${dead}`], ['bulk-replay', '/bulk-replay?status=dead'], ['run-again', `/run-again?provider=tokenex&id=${done}`],
    ];
    for (const [name, path] of pages) {
      const answer = await page.goto(`${base}${path}`);
      expect(answer?.status(), path).to.equal(200);
      const overflow = await overflowOf(page);
      expect(overflow.viewport, path).to.equal(390);
      expect(overflow.outside, `${path}: elements past the right edge`).to.deep.equal([]);
      expect(overflow.scrollWidth, `${path}: the page scrolls sideways`).to.be.at.most(390);
      await shot(page, `narrow-${name}`);
    }
    await page.goto(`${base}/inbox`);
    const cell = page.locator('td.error', { hasText: 'payments.internal.example' }).first();
    const box = await cell.boundingBox();
    expect(box?.width, 'the error column keeps a readable width').to.be.at.least(200);
    type Styled = { getComputedStyle(element: unknown): { lineHeight: string } };
    const lineHeight = Number.parseFloat(await cell.evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).lineHeight)) || 18;
    expect((box?.height ?? 0) / lineHeight, 'lines of the error').to.be.below(20);
    const table = page.locator('h2:has-text("Dead letters") ~ table').first();
    const scrolls = await table.evaluate((el) => (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth > (el as unknown as { clientWidth: number }).clientWidth);
    expect(scrolls, 'the table scrolls inside itself').to.equal(true);
    expect(violations).to.deep.equal([]);
  });
});

