import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { buildPayload } from '../../lib/testing';
import { MOUNT, OPS, consoleApp } from './support';
import type { ConsoleApp } from './support';
import { needChromium, chromiumPath } from './chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
  '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(__dirname, '..', 'artifacts');
/** The longest wait for one page or element: generous on a loaded 2-core machine, and a bound all the same. */
const WAIT_MS = 15_000;

const listen = (app: express.Express, host: string) => new Promise<Server>((resolve) => {
  const server = app.listen(0, host, () => resolve(server));
});
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('operations console in a real browser (headless Chromium)', function () {
  this.timeout(120_000);
  let c: ConsoleApp;
  let server: Server;
  let attacker: Server;
  let base: string;
  const dirs: string[] = [];
  const contexts: BrowserContext[] = [];

  const open = async (credentials?: { username: string; password: string }): Promise<Page> => {
    const dir = mkdtempSync(join(tmpdir(), 'ntw-chromium-'));
    dirs.push(dir);
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: chromiumPath(), headless: true, args: ARGS, timeout: WAIT_MS, ...(credentials ? { httpCredentials: credentials } : {}),
    });
    contexts.push(context);
    context.setDefaultTimeout(WAIT_MS);
    return context.pages()[0] ?? context.newPage();
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });

  before(async function () {
    needChromium(this);
    mkdirSync(ARTIFACTS, { recursive: true });
    c = consoleApp({ mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: 200 } });
    await c.webhooks.ready();
    server = await listen(c.app, '127.0.0.1');
    base = `http://127.0.0.1:${portOf(server)}${MOUNT}`;
    // Another site (localhost is not 127.0.0.1 to a browser) whose page posts a replay form to the console.
    const evil = express().get('/', (_req, res) => {
      res.type('html').send(`<!doctype html><form method="post" action="${base}/replay"><input name="provider" value="tokenex">
        <input name="id" value="${deadId}"><input name="csrf" value="guessed"><button id="go">win a prize</button></form>`);
    });
    attacker = await listen(evil, '127.0.0.1');
  });

  after(async function () {
    for (const context of contexts) await context.close().catch(() => undefined);
    // Neither server is there when the suite was skipped (or failed) before starting them.
    if (server) await new Promise((resolve) => server.close(resolve));
    if (attacker) await new Promise((resolve) => attacker.close(resolve));
    await c?.webhooks.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  let deliveredId = '';
  let deadId = '';

  it('refuses a request without authorization', async function () {
    const page = await open();
    // Chromium answers a 401 challenge it has no credentials for by failing the navigation: the response tells.
    const [response] = await Promise.all([page.waitForResponse(`${base}/`), page.goto(`${base}/`).catch(() => undefined)]);
    expect(response.status()).to.equal(401);
    expect(response.headers()['www-authenticate']).to.match(/^Basic /);
    expect(await response.text()).to.not.include('Overview');
    await shot(page, 'refused');
  });

  /** An event whose handlers fail until it is a dead letter: its id. */
  async function deadLetter(tokenRef: string): Promise<string> {
    c.failing = true;
    try {
      const id = await c.send('active', tokenRef);
      const deadline = Date.now() + WAIT_MS;
      while ((await c.storage.getEntry({ provider: 'tokenex', id }))?.status !== 'dead') {
        if (Date.now() > deadline) throw new Error('the failing event did not become a dead letter');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return id;
    } finally {
      c.failing = false;
    }
  }

  it('shows a delivered event, a token timeline, a dead letter, and replays it to completion', async function () {
    deliveredId = await c.send('active', 'TOK-BROWSER');
    await c.send('suspended', 'TOK-BROWSER', { occurredAt: new Date(Date.now() + 1000) });
    deadId = await deadLetter('TOK-DEAD');

    const page = await open(OPS);
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    const overview = await page.goto(`${base}/`);
    expect(overview?.status()).to.equal(200);
    expect(overview?.headers()['content-security-policy']).to.include("default-src 'none'");
    await page.getByRole('link', { name: deliveredId }).waitFor();
    expect(await page.locator('svg.chart rect').count()).to.be.greaterThan(0);
    type Styled = { getComputedStyle(element: unknown): { borderBottomStyle: string } };
    expect(await page.locator('header').evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).borderBottomStyle))
      .to.equal('solid', 'the stylesheet applies');
    await shot(page, 'overview');

    await page.getByRole('link', { name: deliveredId }).click();
    await page.getByRole('heading', { name: 'Event' }).waitFor();
    expect(await page.locator('dl.facts').innerText()).to.include('done');

    await page.getByRole('link', { name: 'Token timeline' }).click();
    await page.getByRole('combobox', { name: 'Provider' }).selectOption('tokenex');
    await page.getByRole('textbox', { name: 'Token reference' }).fill('TOK-BROWSER');
    await page.getByRole('button', { name: 'Show timeline' }).click();
    const facts = await page.getByLabel('Current state').innerText();
    expect(facts).to.match(/Current state\s+SUSPENDED/).and.match(/Chargeable\s+no/);
    expect(await page.getByRole('table', { name: 'Events of the token' }).locator('tbody tr').count()).to.equal(2);
    await shot(page, 'timeline');

    await page.getByRole('link', { name: 'Inbox and dead letters' }).click();
    const row = page.locator('tr', { hasText: deadId });
    expect(await row.innerText()).to.include('handler failed: downstream 503').and.include('dead');
    await shot(page, 'dead-letter');
    await row.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').waitFor();
    expect(await page.getByRole('status').innerText()).to.include('Replayed the event');
    const completed = Date.now() + WAIT_MS;
    while (!(await page.locator('dl.facts').innerText()).includes('done')) {
      if (Date.now() > completed) throw new Error('the replayed event did not complete');
      await page.reload();
    }
    await shot(page, 'replayed');
    expect((await c.storage.getEntry({ provider: 'tokenex', id: deadId }))?.status).to.equal('done');
    expect(violations).to.deep.equal([], 'no Content-Security-Policy violation');
  });

  it('searches a token, opens its event and reads every attempt, its deliveries and its payload', async function () {
    const id = await deadLetter('TOK-SEARCHED');
    await c.post(JSON.stringify(buildPayload('tokenex', 'active', { tokenRef: 'TOK-SEARCHED', id }))); // a copy dated otherwise: another meaning
    const page = await open(OPS);
    const violations: string[] = [];
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Events' }).click();
    const search = page.getByRole('search', { name: 'Search events' });
    await search.getByRole('textbox', { name: 'Token reference' }).fill('TOK-SEARCHED');
    await search.getByRole('combobox', { name: 'Status' }).selectOption('dead');
    await search.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/events\?.*tokenRef=TOK-SEARCHED/);
    const results = page.locator('tbody tr');
    expect(await results.count()).to.equal(1);
    expect(await results.first().innerText()).to.include('dead').and.include('handler failed: downstream 503');
    await shot(page, 'search');

    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: 'Attempts' }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts' }).locator('tbody tr');
    expect(await attempts.count()).to.equal(1);
    expect(await attempts.first().innerText()).to.match(/\t1\t/).and.include('dead letter').and.include('handler failed: downstream 503');
    const deliveries = page.getByRole('table', { name: 'Deliveries of this id' }).locator('tbody tr');
    expect(await deliveries.count()).to.equal(2);
    expect(await deliveries.nth(1).innerText()).to.include('conflicting copy');
    expect(await page.getByLabel('Payload').innerText()).to.include('TOK-SEARCHED');
    type Styled = { getComputedStyle(element: unknown): { overflowX: string } };
    expect(await page.locator('pre.payload').evaluate((el) => (globalThis as unknown as Styled).getComputedStyle(el).overflowX)).to.equal('auto', 'the stylesheet applies');
    await shot(page, 'event-attempts');
    expect(violations).to.deep.equal([], 'no Content-Security-Policy violation');
  });

  it('refuses a replay posted from another site', async function () {
    deadId = await deadLetter('TOK-TARGET');
    const page = await open(OPS);
    await page.goto(`${base}/inbox`); // signed in, with the console's cookie: what a forged request would ride on
    await page.goto(`http://localhost:${portOf(attacker)}/`);
    const [response] = await Promise.all([page.waitForResponse(`${base}/replay`), page.click('#go')]);
    expect(response.status()).to.equal(403);
    expect(await page.content()).to.include('Replay refused: cross-site request');
    await shot(page, 'cross-site-refused');
    expect((await c.storage.getEntry({ provider: 'tokenex', id: deadId }))?.status).to.equal('dead');
  });
});
