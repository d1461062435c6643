import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { MemoryStorage } from '../../lib';
import type { EntryRecord, Storage } from '../../lib';
import { SqliteStorage } from '../../lib/storage/sqlite';
import { encodeCursor } from '../../lib/console/search';
import { MOUNT, OPS, consoleApp } from './support';
import type { ConsoleApp } from './support';

const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);

/** A record received at `minute` past T0. */
const record = (provider: string, id: string, tokenRef: string, minute: number): EntryRecord => ({
  provider, id, type: 'token.active', tokenRef, state: 'ACTIVE', occurredAt: new Date(T0 + minute * 60_000), receivedAt: new Date(T0 + minute * 60_000),
  fingerprint: `fp-${id}`, body: JSON.stringify({ event: { id }, payload: { id } }),
});

/** The event ids of the results table, in order. */
const ids = (html: string) => [...html.matchAll(/<a class="mono" href="[^"]*\/event\?[^"]*">([^<]*)<\/a>/g)].map((m) => m[1]);
/** The pager's links by label. */
const links = (html: string) => Object.fromEntries([...html.matchAll(/<a href="([^"]+)" rel="(?:first|prev|next)">(\w+)<\/a>/g)].map((m) => [m[2], m[1]!.replaceAll('&amp;', '&')]));

const stores: { name: string; make: () => { storage: Storage; cleanup: () => void } }[] = [
  { name: 'MemoryStorage', make: () => ({ storage: new MemoryStorage(), cleanup: () => undefined }) },
  {
    name: 'SqliteStorage',
    make: () => {
      const dir = mkdtempSync(join(tmpdir(), 'ntw-console-search-'));
      return { storage: new SqliteStorage(join(dir, 'ledger.db')), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

for (const store of stores) {
  describe(`operations console: searching events (${store.name})`, () => {
    let c: ConsoleApp;
    let cleanup: () => void;
    const get = (path: string) => request(c.app).get(`${MOUNT}${path}`).auth(OPS.username, OPS.password);

    beforeEach(async () => {
      const made = store.make();
      cleanup = made.cleanup;
      c = consoleApp({ storage: made.storage }, { credentials: OPS, pageSize: 2 });
      await c.webhooks.ready();
      const admit = (r: EntryRecord, done = true) => {
        const run = { as: 'running' as const, owner: 'fill', leaseMs: 60_000 };
        return Promise.resolve(made.storage.admit(r, run)).then(() => (done ? made.storage.settle(r, 'fill', { status: 'done' }) : made.storage.settle(r, 'fill', { status: 'dead', error: 'boom' })));
      };
      await admit(record('tokenex', 'evt-1', 'TOK-A', 1));
      await admit(record('tokenex', 'evt-2', 'TOK-B', 2), false);
      await admit(record('cybersource', 'evt-1', 'TOK-C', 3));
      await admit(record('cybersource', 'evt-4', 'TOK-A', 4), false);
      await admit(record('tokenex', 'evt-5', 'TOK-A', 5));
    });

    afterEach(async () => {
      await c.webhooks.close();
      cleanup();
    });

    it('lists every stored event newest first, a page at a time, with links to the pages before and after by cursor', async () => {
      const first = await get('/events');
      expect(first.status).to.equal(200);
      expect(first.text).to.include('<form class="search" method="get"').and.include('aria-label="Search events"');
      expect(ids(first.text)).to.deep.equal(['evt-5', 'evt-4']);
      expect(Object.keys(links(first.text))).to.deep.equal(['Older']);
      const second = await get(links(first.text).Older!.slice(MOUNT.length));
      expect(ids(second.text)).to.deep.equal(['evt-1', 'evt-2']);
      expect(links(second.text).Older, 'a cursor, not an offset').to.match(/after=[A-Za-z0-9_-]+$/);
      const third = await get(links(second.text).Older!.slice(MOUNT.length));
      expect(ids(third.text)).to.deep.equal(['evt-1']);
      expect(Object.keys(links(third.text))).to.deep.equal(['Newest', 'Newer']);
      const back = await get(links(third.text).Newer!.slice(MOUNT.length));
      expect(ids(back.text)).to.deep.equal(['evt-1', 'evt-2']);
      const newest = await get(links(back.text).Newer!.slice(MOUNT.length));
      expect(ids(newest.text)).to.deep.equal(['evt-5', 'evt-4']);
      expect(Object.keys(links(newest.text))).to.deep.equal(['Older']);
    });

    it('finds an event id exactly, under every provider', async () => {
      const page = await get('/events?id=evt-1');
      expect(page.status).to.equal(200);
      expect(ids(page.text)).to.deep.equal(['evt-1', 'evt-1']);
      expect(page.text).to.include('<td>cybersource</td>').and.include('<td>tokenex</td>');
      expect(ids((await get('/events?id=evt')).text)).to.deep.equal([], 'exactly, not a prefix');
      expect((await get('/events?id=evt')).text).to.include('No stored event matches.');
      expect(ids((await get('/events?id=evt-1&provider=cybersource')).text)).to.deep.equal(['evt-1']);
    });

    it('finds a token reference exactly, under every provider, and pages through it', async () => {
      const page = await get('/events?tokenRef=TOK-A');
      expect(ids(page.text)).to.deep.equal(['evt-5', 'evt-4']);
      const next = await get(links(page.text).Older!.slice(MOUNT.length));
      expect(ids(next.text)).to.deep.equal(['evt-1']);
      expect(links(next.text).Newest).to.include('tokenRef=TOK-A', 'the search is kept across pages');
    });

    it('filters by provider, by status and by time of receipt (UTC), together', async () => {
      expect(ids((await get('/events?provider=cybersource')).text)).to.deep.equal(['evt-4', 'evt-1']);
      expect(ids((await get('/events?status=dead')).text)).to.deep.equal(['evt-4', 'evt-2']);
      expect(ids((await get('/events?status=dead&provider=tokenex')).text)).to.deep.equal(['evt-2']);
      expect(ids((await get('/events?from=2026-03-02T08:02&to=2026-03-02T08:04')).text)).to.deep.equal(['evt-1', 'evt-2']);
      expect(ids((await get('/events?from=2026-03-02T08:02:00&to=2026-03-02T08:05&provider=tokenex')).text)).to.deep.equal(['evt-2']);
      const form = (await get('/events?status=dead&provider=tokenex&from=2026-03-02T08:02')).text;
      expect(form).to.include('<option value="dead" selected>dead</option>').and.include('<option value="tokenex" selected>tokenex</option>');
      expect(form).to.include('name="from" value="2026-03-02T08:02"');
    });

    it('answers a search it cannot read with 400 and says why, never a 5xx', async () => {
      const cases: [string, RegExp][] = [
        ['/events?status=bogus', /no status is named &quot;bogus&quot;/],
        ['/events?from=yesterday', /the start of the time range is not a time/],
        ['/events?to=2026-02-31T08:00', /the end of the time range is not a time/],
        ['/events?from=2026-03-02T09:00&to=2026-03-02T08:00', /the time range ends before it starts/],
        ['/events?after=not-a-cursor!', /the page asked for is not one this console links to/],
        [`/events?before=${Buffer.from('{"x":1}').toString('base64url')}`, /the page asked for is not one/],
        [`/events?id=${'x'.repeat(513)}`, /id is longer than 512 characters/],
      ];
      for (const [path, why] of cases) {
        const page = await get(path);
        expect(page.status, path).to.equal(400);
        expect(page.text, path).to.match(why);
        expect(page.text).to.include('role="search"', 'the form is there to try again');
      }
    });

    it('escapes what it was asked and what it shows', async () => {
      const hostile = '<script>alert(1)</script>"\'>';
      const page = await get(`/events?id=${encodeURIComponent(hostile)}&tokenRef=${encodeURIComponent(hostile)}&after=${encodeCursor({ receivedAt: new Date(T0), provider: hostile, id: hostile })}`);
      expect(page.status).to.equal(200);
      expect(page.text).to.not.include('<script>').and.not.include('"\'>');
      expect(page.text).to.include('value="&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;"');
    });
  });
}
