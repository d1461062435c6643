import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { MemoryStorage, createTokenWebhooks } from '../../lib';
import type { RefusalMinute, Storage } from '../../lib';
import { fleetRefusalsPanel, refusalsPanel } from '../../lib/console/refusals';
import { buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';
import { MOUNT, OPS, UNREADABLE } from './support';

/** A clock the test moves, shared by the instances and their storage (which forgets refusals by its own). */
function testClock() {
  return { now: new Date('2026-03-02T08:00:00Z') };
}

/** One instance: TokenEx mounted (no quarantine: a schema violation is refused) and the console, on `storage`. */
function instance(clock: { now: Date }, storage: Storage) {
  const webhooks = createTokenWebhooks({ pruneIntervalMs: false, now: () => clock.now, storage });
  webhooks.onEvent(() => undefined);
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  app.use(MOUNT, webhooks.console({ credentials: OPS }));
  const deliver = (authorization: string, type: string, body: string) =>
    request(app).post('/webhooks/tokenex').set({ 'content-type': type, authorization }).send(body);
  const overview = () => request(app).get(`${MOUNT}/`).auth(OPS.username, OPS.password);
  return { app, webhooks, deliver, overview };
}

/** The panel's table row of a provider, status and code: its count and last time. */
const row = (text: string, status: number, code: string) => {
  const match = new RegExp(`<tr><td>tokenex</td><td class="num">${status}</td><td><code>${code}</code></td><td class="num">(\\d+)</td><td>([^<]+)</td></tr>`).exec(text);
  return match ? { count: Number(match[1]), last: match[2] } : undefined;
};

/** A storage that keeps no refusals: MemoryStorage without `addRefusals` and `listRefusals`. */
function withoutRefusals(inner: MemoryStorage): Storage {
  return {
    admit: (r, a) => inner.admit(r, a), lease: (o, l, k) => inner.lease(o, l, k), extend: (k, o, l) => inner.extend(k, o, l),
    settle: (k, o, s) => inner.settle(k, o, s), requeue: (i, p) => inner.requeue(i, p), getEntry: (k) => inner.getEntry(k),
    listEntries: (q) => inner.listEntries(q), getTokenState: (p, t) => inner.getTokenState(p, t), prune: (o) => inner.prune(o),
  };
}

describe('operations console: refused deliveries', () => {
  const valid = JSON.stringify(buildPayload('tokenex', 'active', { tokenRef: 'TOK-REFUSED-1' }));

  it('says none in the window while no instance refused anything', async () => {
    const clock = testClock();
    const c = instance(clock, new MemoryStorage({ now: () => clock.now.getTime() }));
    try {
      const page = await c.overview();
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<h2>Refused in the last 60 minutes, every instance</h2>');
      expect(page.text).to.include('Counted by every instance sharing this storage');
      expect(page.text).to.include('This instance refused 0 since it started (2026-03-02 08:00:00Z)');
      expect(page.text).to.match(/<\/p>\n<p class="muted">None\.<\/p>/);
    } finally {
      await c.webhooks.close();
    }
  });

  it('shows what every instance refused, by provider and code with the last time, a restarted one\'s included, and nothing of the requests', async () => {
    const clock = testClock();
    const storage = new MemoryStorage({ now: () => clock.now.getTime() });
    const a = instance(clock, storage);
    const b = instance(clock, storage);
    try {
      clock.now = new Date('2026-03-02T08:05:00Z');
      expect((await a.deliver('Bearer rotated-old-secret-abc', 'application/json', valid)).status).to.equal(401);
      clock.now = new Date('2026-03-02T08:06:00Z');
      expect((await b.deliver('Bearer rotated-old-secret-abc', 'application/json', valid)).status).to.equal(401);
      expect((await b.deliver(`Bearer ${BEARER}`, 'text/plain', valid)).status).to.equal(415);
      clock.now = new Date('2026-03-02T08:07:00Z');
      expect((await b.deliver(`Bearer ${BEARER}`, 'application/json', UNREADABLE)).status).to.equal(400);
      await b.webhooks.close(); // a restart: what it counted is in the storage

      const page = await a.overview();
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<table aria-label="Refused by provider and code">');
      expect(row(page.text, 401, 'unauthorized')).to.deep.equal({ count: 2, last: '2026-03-02 08:06:00Z' });
      expect(row(page.text, 415, 'unsupported_media_type')).to.deep.equal({ count: 1, last: '2026-03-02 08:06:00Z' });
      expect(row(page.text, 400, 'schema_violation')).to.deep.equal({ count: 1, last: '2026-03-02 08:07:00Z' });
      expect(page.text).to.include('This instance refused 1 since it started');
      expect(page.text).to.include('<code>ntw.outcome="refused"</code>');
      expect(page.text).to.not.include('rotated-old-secret-abc').and.not.include('TOK-REFUSED-1').and.not.include('SOMETHING_NEW');
      expect(page.text).to.include('Nothing received yet.', 'refused deliveries are never stored as events');

      const fresh = instance(clock, storage);
      try {
        expect(row((await fresh.overview()).text, 401, 'unauthorized')?.count).to.equal(2, 'a new instance shows the fleet\'s');
        clock.now = new Date('2026-03-02T09:07:00Z');
        expect(row((await fresh.overview()).text, 400, 'schema_violation')).to.equal(undefined, 'past the window');
      } finally {
        await fresh.webhooks.close();
      }
    } finally {
      await a.webhooks.close();
      await b.webhooks.close();
    }
  });

  it('adds a busy instance\'s refusals to the storage\'s counts while it refuses, not one write per refusal', async () => {
    const clock = testClock();
    const storage = new MemoryStorage({ now: () => clock.now.getTime() });
    const added: RefusalMinute[][] = [];
    let storedOnce: () => void = () => undefined;
    const stored = new Promise<void>((resolve) => { storedOnce = resolve; });
    const add = storage.addRefusals.bind(storage);
    storage.addRefusals = (counts) => {
      added.push([...counts]);
      add(counts);
      storedOnce();
    };
    const busy = instance(clock, storage);
    try {
      for (let i = 0; i < 20; i++) expect((await busy.deliver('Bearer wrong-secret-value', 'application/json', valid)).status).to.equal(401);
      await stored;
      expect(added).to.have.length(1);
      expect(added[0]!.map((r) => [r.provider, r.status, r.code, r.count])).to.deep.equal([['tokenex', 401, 'unauthorized', 20]]);
      expect(storage.listRefusals(clock.now).map((r) => r.count)).to.deep.equal([20]);
    } finally {
      await busy.webhooks.close();
    }
  });

  it('shows this process\'s own tally when the storage keeps no refusals', async () => {
    const clock = testClock();
    const c = instance(clock, withoutRefusals(new MemoryStorage()));
    try {
      expect((await c.overview()).text).to.include('<p class="muted">None since 2026-03-02 08:00:00Z.</p>');
      clock.now = new Date('2026-03-02T08:05:00Z');
      expect((await c.deliver('Bearer rotated-old-secret-abc', 'application/json', valid)).status).to.equal(401);
      const page = await c.overview();
      expect(page.text).to.include('<h2>Refused by this instance since it started</h2>');
      expect(page.text).to.include('keeps no refusals for the fleet');
      expect(row(page.text, 401, 'unauthorized')).to.deep.equal({ count: 1, last: '2026-03-02 08:05:00Z' });
    } finally {
      await c.webhooks.close();
    }
  });

  it('escapes what it shows', () => {
    const hostile = '<script>alert(1)</script>"\'>';
    const since = new Date('2026-03-02T08:00:00Z');
    const last = new Date('2026-03-02T08:01:00Z');
    const panels = [
      refusalsPanel({ since, rows: [{ provider: hostile, status: 400, code: hostile, count: 3, last }], untallied: 2 }).text,
      fleetRefusalsPanel([{ minute: since, provider: hostile, status: 400, code: hostile, count: 3, last }], 60, { since, rows: [], untallied: 0 }).text,
    ];
    for (const panel of panels) {
      expect(panel).to.not.include('<script>').and.not.include('"\'>');
      expect(panel).to.include('<td>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;</td>');
    }
    expect(panels[0]).to.include('2 more refused, of kinds past the 1 rows kept');
  });
});
