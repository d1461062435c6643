/**
 * `npm run docs:screenshots`: the console's pages, photographed by headless Chromium into docs/console-*.png.
 *
 * A receiver in inbox mode, on an in-memory store and a fixed clock (so a run gives the same pictures), gets an hour
 * of deliveries of five providers: most complete, an outage of a downstream service leaves dead letters and
 * failing events, one delivery is quarantined, one is a conflicting copy, a few are refused, the last minutes'
 * wait for the worker. Then each page is opened as an operator would, at 1280 px and at 390 px.
 *
 * CHROMIUM names the browser (default /usr/bin/chromium, Debian's package).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import { MemoryStorage, builtinProviders, createTokenWebhooks } from '../lib';
import type { BuiltinProviderName, InboxTokenWebhooks, PayloadKind, TokenEvent } from '../lib';
import { buildPayload, deliver } from '../lib/testing';
import type { TestCredentials } from '../lib/testing';
import { optionsFor } from '../lib/testing/credentials';

const DOCS = join(__dirname, '..', 'docs');
const MOUNT = '/ops/token-webhooks';
const OPS = { username: 'ops', password: 'screenshots only, not a password' };
const MINUTE = 60_000;
/** The moment the pictures are taken: the console's "now". */
const T0 = Date.UTC(2026, 0, 15, 9, 30);
const PROVIDERS: readonly BuiltinProviderName[] = ['tokenex', 'cybersource', 'firstoken', 'checkout', 'ni'];
const OUTAGE = 'POST https://ledger.internal.example/v1/cards/suspensions answered 503 Service Unavailable: upstream connect error or disconnect/reset before headers';

let clock = T0 - 58 * MINUTE;
const credentials: TestCredentials = {
  bearer: 'screenshots-bearer-0123456789',
  cybersource: { keyId: 'key-2026', key: Buffer.alloc(32, 9).toString('base64') },
  firstoken: 'screenshots-firstoken-webhook-key',
  checkout: { signatureKey: 'screenshots-checkout-signature-key' },
  now: () => clock,
};

/** A payload's random UUIDs (a conversation id, a request id) replaced by ones of a fixed sequence: the same pictures on every run. */
const uuids = sequence(11);
const fixedIds = (text: string) => text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, () => {
  const hex = Array.from({ length: 32 }, () => Math.floor(uuids() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
});

/** A fixed sequence of numbers in [0, 1): the same traffic on every run. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

async function main(): Promise<void> {
  const storage = new MemoryStorage({ now: () => clock });
  const webhooks = createTokenWebhooks<TokenEvent>({
    storage, mode: 'inbox', now: () => new Date(clock), pruneIntervalMs: false, telemetry: false,
    // A failed run is due again five minutes later: the outage's last events are still failing at the end.
    inbox: { maxAttempts: 2, pollIntervalMs: false, backoffBaseMs: 5 * MINUTE, random: () => 0.5 },
  }) as InboxTokenWebhooks<TokenEvent>;
  const failing = new Set<string>();
  webhooks.onEvent((event) => {
    if (failing.has(event.tokenRef)) throw new Error(OUTAGE);
  });
  const app = express();
  for (const provider of PROVIDERS) {
    const options = { ...optionsFor(provider, credentials), ...(provider === 'tokenex' ? { quarantine: true } : {}) };
    app.use(`/webhooks/${provider}`, webhooks.endpoint(provider, options as never));
  }
  app.use(MOUNT, webhooks.console({ credentials: OPS, windowMinutes: 60, pageSize: 12 }));
  const server = await new Promise<Server>((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const base = `${origin}${MOUNT}`;

  try {
    await traffic(webhooks, origin, failing);
    await photograph(storage, base);
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await webhooks.close();
  }
}

/** An hour of deliveries, run by the worker as they come but for the last two minutes. */
async function traffic(webhooks: InboxTokenWebhooks<TokenEvent>, origin: string, failing: Set<string>): Promise<void> {
  let n = 0;
  const send = (provider: BuiltinProviderName, kind: PayloadKind, tokenRef: string, options: { id?: string; at?: number } = {}) => {
    const id = options.id ?? `evt-${String(++n).padStart(4, '0')}-${provider.slice(0, 2)}`;
    const payload = fixedIds(JSON.stringify(buildPayload(provider, kind, { id, tokenRef, occurredAt: new Date(options.at ?? clock - 2000) })));
    return deliver(origin, provider, payload, { credentials }).then((answer) => ({ id, answer }));
  };

  // An hour of traffic; from 40 minutes in, the ledger service downstream is down for TokenEx's cards.
  const random = sequence(7);
  // Mostly activations, some suspensions and deletions: what a provider's kit builds of these.
  const kinds: readonly PayloadKind[] = ['active', 'active', 'active', 'suspended', 'deleted'];
  for (let minute = 0; minute < 56; minute++) {
    clock = T0 - (58 - minute) * MINUTE;
    const count = Math.floor(random() * 5) + (minute % 9 === 0 ? 4 : 1);
    for (let i = 0; i < count; i++) {
      const provider = PROVIDERS[Math.floor(random() * PROVIDERS.length)]!;
      const wanted = kinds[Math.floor(random() * kinds.length)]!;
      const kind = builtinProviders[provider].testKit!.kinds.includes(wanted) ? wanted : 'active';
      const tokenRef = `tok_${provider.slice(0, 3)}_${(1000 + Math.floor(random() * 9000)).toString(16)}`;
      if (minute >= 40 && provider === 'tokenex') failing.add(tokenRef);
      await send(provider, kind, tokenRef);
      clock += Math.floor(random() * 9000);
    }
    if (minute === 30) {
      // A token's history, with a late copy of an older event (stale).
      await send('tokenex', 'active', 'tok_4f2a_9c1e', { at: clock - 30 * MINUTE });
      await send('tokenex', 'suspended', 'tok_4f2a_9c1e', { at: clock - 10 * MINUTE });
      await send('tokenex', 'active', 'tok_4f2a_9c1e', { at: clock - 20 * MINUTE });
      // A value the schema does not know: quarantined. The same id again with another meaning: a conflicting copy.
      const unknownState = buildPayload('tokenex', 'active', {
        id: 'evt-quarantine-demo', tokenRef: 'tok_new_state', occurredAt: new Date(clock - 2000), edit: (p) => {
          // A fixed conversation id too: a quarantined delivery's id is its content's hash.
          Object.assign(p.networkTokenStateChangeNotification!, { currentTokenState: 'PENDING_REVIEW', conversationId: '5d0c6f0e-2b7e-4c1f-9f55-7a3f2c1d9e80' });
        },
      });
      await deliver(origin, 'tokenex', unknownState, { credentials });
      const { id } = await send('firstoken', 'active', 'tok_fir_dup');
      await send('firstoken', 'suspended', 'tok_fir_dup', { id });
      // Refused: a rotated secret nobody told us about, and a body that is not JSON.
      for (let i = 0; i < 3; i++) await deliver(origin, 'tokenex', buildPayload('tokenex', 'active'), { credentials: { bearer: 'an-old-rotated-secret-0123' } });
      await deliver(origin, 'firstoken', 'not json', { credentials });
    }
    // The worker keeps up, except over the last two minutes.
    if (minute < 54) await webhooks.processInbox();
  }
  clock = T0;
}

/** Each page as an operator opens it, at 1280 px and one at 390 px. */
async function photograph(storage: MemoryStorage, base: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  const shoot = async (page: Page, path: string, name: string) => {
    const answer = await page.goto(`${base}${path}`);
    if (answer?.status() !== 200) throw new Error(`${path} answered ${answer?.status()}`);
    await page.screenshot({ path: join(DOCS, `console-${name}.png`), fullPage: true });
    console.log(`docs/console-${name}.png   ${path}`);
  };
  try {
    const wide = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, httpCredentials: OPS })).newPage();
    const [dead] = await storage.listEntries({ status: 'dead', order: 'newest', limit: 1 });
    const [done] = await storage.listEntries({ status: 'done', provider: 'cybersource', order: 'newest', limit: 1 });
    if (!dead || !done) throw new Error('the traffic left no dead letter or no done event');
    await shoot(wide, '/', 'overview');
    await shoot(wide, '/inbox', 'inbox');
    await shoot(wide, `/event?provider=${dead.provider}&id=${encodeURIComponent(dead.id)}`, 'event');
    await shoot(wide, '/events?status=dead&provider=tokenex', 'events');
    await shoot(wide, '/tokens?provider=tokenex&tokenRef=tok_4f2a_9c1e', 'timeline');
    await shoot(wide, '/bulk-replay?status=dead&provider=tokenex', 'bulk-replay');
    await shoot(wide, `/run-again?provider=${done.provider}&id=${encodeURIComponent(done.id)}`, 'run-again');
    const narrow = await (await browser.newContext({ viewport: { width: 390, height: 844 }, httpCredentials: OPS })).newPage();
    await shoot(narrow, '/inbox', 'narrow-inbox');
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
