import { expect } from 'chai';
import request from 'supertest';
import { MemoryStorage } from '../../lib';
import type { InboxTokenWebhooks, TokenEvent } from '../../lib';
import { CONTENT_SECURITY_POLICY } from '../../lib/console/console';
import { MOUNT, OPS, consoleApp, csrfOf } from './support';
import type { ConsoleApp } from './support';

const inboxOf = (c: ConsoleApp) => c.webhooks as unknown as InboxTokenWebhooks<TokenEvent>;

/** An inbox-mode console whose worker runs only when asked, with `count` dead letters of TokenEx. */
async function withDeadLetters(count: number, storage = new MemoryStorage()): Promise<{ c: ConsoleApp; ids: string[]; agent: request.Agent }> {
  const c = consoleApp({ storage, mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
  c.failing = true;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await c.send('active', `TOK-BULK-${i}`));
  await inboxOf(c).processInbox();
  c.failing = false;
  return { c, ids, agent: request.agent(c.app) };
}

const get = (agent: request.Agent, path: string) => agent.get(path.startsWith(MOUNT) ? path : `${MOUNT}${path}`).auth(OPS.username, OPS.password);
const post = (agent: request.Agent, path: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
  agent.post(`${MOUNT}${path}`).auth(OPS.username, OPS.password).type('form').set(headers).send(form);

describe('operations console: bulk replay', () => {
  it('the inbox links each non-empty list to its bulk replay, a GET that only counts', async () => {
    const { c, agent } = await withDeadLetters(2);
    try {
      const page = await get(agent, '/inbox');
      expect(page.text).to.match(/<h2>Dead letters<\/h2>.*<form class="inline bulk" method="get" action="\/ops\/token-webhooks\/bulk-replay"><input type="hidden" name="status" value="dead">\s*<button type="submit">Replay dead letters in bulk…<\/button>/s);
      expect(page.text).to.not.include('Replay failing events in bulk', 'nothing is failing');
    } finally {
      await c.webhooks.close();
    }
  });

  it('a search of dead or failing events offers the bulk replay of everything it matches, its provider and window carried over', async () => {
    const { c, ids, agent } = await withDeadLetters(2);
    try {
      const page = await get(agent, '/events?status=dead&provider=tokenex&from=2020-01-02T03:04');
      expect(page.text).to.include('<form class="inline bulk" method="get" action="/ops/token-webhooks/bulk-replay"><input type="hidden" name="status" value="dead">'
        + '<input type="hidden" name="provider" value="tokenex"><input type="hidden" name="since" value="2020-01-02T03:04">');
      expect((await get(agent, '/bulk-replay?status=dead&provider=tokenex&since=2020-01-02T03:04')).text)
        .to.include('2 dead letters of tokenex, received from 2020-01-02 03:04:00Z.');
      expect((await get(agent, `/events?status=dead&id=${ids[0]}`)).text).to.not.include('in bulk', 'not for a search by id');
      expect((await get(agent, '/events?status=done')).text).to.not.include('in bulk', 'not for done events');
    } finally {
      await c.webhooks.close();
    }
  });

  it('counts what matches (status, provider, window), shows the oldest, and asks to confirm with a POST', async () => {
    const { c, ids, agent } = await withDeadLetters(3);
    try {
      const page = await get(agent, '/bulk-replay?status=dead');
      expect(page.status).to.equal(200);
      expect(page.headers['content-security-policy']).to.equal(CONTENT_SECURITY_POLICY);
      expect(page.text).to.not.match(/<script|\sstyle=|\son[a-z]+=/i);
      expect(page.text).to.include('<p class="notice" role="status">3 dead letters.</p>');
      expect(page.text).to.match(/<form class="confirm" method="post" action="\/ops\/token-webhooks\/bulk-replay">\s*<input type="hidden" name="csrf" value="[\w-]+"><input type="hidden" name="status" value="dead"><input type="hidden" name="provider" value=""><input type="hidden" name="since" value=""><input type="hidden" name="until" value="">\s*<button type="submit">Replay 3 dead letters<\/button>/);
      const shown = page.text.slice(page.text.indexOf('The oldest 3 of them'));
      expect(ids.map((id) => shown.indexOf(id))).to.deep.equal(ids.map((id) => shown.indexOf(id)).sort((a, b) => a - b)).and.not.include(-1);
      expect(page.text).to.include('handler failed: downstream 503');

      expect((await get(agent, '/bulk-replay?status=dead&provider=cybersource')).text).to.include('No dead letters of cybersource.');
      expect((await get(agent, '/bulk-replay?status=failed')).text).to.include('No failing events.');
      const future = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
      expect((await get(agent, `/bulk-replay?status=dead&since=${future}`)).text).to.match(/No dead letters, received from \d{4}-\d\d-\d\d \d\d:\d\d:00Z\./);
      expect((await get(agent, `/bulk-replay?status=dead&until=${future}`)).text).to.include('3 dead letters, received before');
      const selected = await get(agent, `/bulk-replay?status=dead&provider=tokenex&since=2020-01-02T03:04`);
      expect(selected.text).to.include('<option value="tokenex" selected>tokenex</option>').and.include('name="since" step="1" value="2020-01-02T03:04:00"');
      expect(selected.text).to.include('3 dead letters of tokenex, received from 2020-01-02 03:04:00Z.');

      for (const [query, why] of [['status=done', 'the status must be dead or failed'], ['since=yesterday', 'the start of the window is not a time'],
        ['since=2025-01-02T00:00&until=2025-01-01T00:00', 'the window ends before it starts']]) {
        const refused = await get(agent, `/bulk-replay?${query}`);
        expect(refused.status, query).to.equal(400);
        expect(refused.text, query).to.include(why);
      }
      expect((await c.storage.listEntries({ status: 'dead' })).length).to.equal(3, 'counting replays nothing');
    } finally {
      await c.webhooks.close();
    }
  });

  it('replays on the confirmation: dead letters → pending → done, the notice shown once (a reload does not show it again)', async () => {
    const { c, ids, agent } = await withDeadLetters(3);
    try {
      const csrf = csrfOf((await get(agent, '/bulk-replay?status=dead')).text);
      const res = await post(agent, '/bulk-replay', { csrf, status: 'dead', provider: '', since: '', until: '' }, { 'sec-fetch-site': 'same-origin' });
      expect(res.status).to.equal(303);
      expect(res.headers.location).to.match(new RegExp(`^${MOUNT}/inbox\\?flash=[\\w-]{22}$`));
      expect(String(res.headers['set-cookie'])).to.match(/ntw_console_flash=[\w-]{22}\.bulk\.3; Max-Age=120; Path=\/ops\/token-webhooks; HttpOnly; SameSite=Strict/);
      expect((await c.storage.listEntries({ status: 'pending' })).map((e) => e.id).sort()).to.deep.equal([...ids].sort());

      const shown = await get(agent, res.headers.location as string);
      expect(shown.text).to.include('<p class="notice" role="status">Replayed 3 events: the worker runs them.</p>');
      expect(String(shown.headers['set-cookie'])).to.match(/ntw_console_flash=; Max-Age=0/);
      const reloaded = await get(agent, res.headers.location as string);
      expect(reloaded.text).to.not.include('Replayed 3 events');
      expect(reloaded.text).to.match(/<h2>Pending<\/h2>.*TOK-BULK-0/s);

      expect(await inboxOf(c).processInbox()).to.equal(3);
      expect((await c.storage.listEntries({ status: 'done' })).length).to.equal(3);
      const again = await post(agent, '/bulk-replay', { csrf, status: 'dead' });
      expect(again.status).to.equal(303);
      expect((await get(agent, again.headers.location as string)).text).to.include('Nothing was replayed: none of those events is dead or failing any more');
    } finally {
      await c.webhooks.close();
    }
  });

  it('refuses a forged, cross-site or malformed POST, replaying nothing; GET of a form action is 405', async () => {
    const { c, agent } = await withDeadLetters(1);
    try {
      const csrf = csrfOf((await get(agent, '/bulk-replay?status=dead')).text);
      for (const [form, headers] of [
        [{ csrf: 'forged', status: 'dead' }, {}], [{ status: 'dead' }, {}], [{ csrf, status: 'dead' }, { 'sec-fetch-site': 'cross-site' }],
        [{ csrf, status: 'dead' }, { origin: 'https://evil.example' }],
      ] as [Record<string, string>, Record<string, string>][]) {
        const res = await post(agent, '/bulk-replay', form, headers);
        expect(res.status, JSON.stringify([form, headers])).to.equal(403);
        expect(res.text).to.include('Replay refused');
      }
      const malformed = await post(agent, '/bulk-replay', { csrf, status: 'done' });
      expect(malformed.status).to.equal(400);
      expect(malformed.text).to.include('Nothing was replayed: the status must be dead or failed.');
      expect((await post(agent, '/bulk-replay', { csrf, status: 'dead', since: 'soon' })).status).to.equal(400);
      expect((await get(agent, '/replay')).status).to.equal(405);
      expect((await c.storage.listEntries({ status: 'dead' })).length).to.equal(1, 'nothing was replayed');
    } finally {
      await c.webhooks.close();
    }
  });

  it('past 1,000 matches: says so and replays the oldest 1,000; the next round takes the rest', async () => {
    const storage = new MemoryStorage();
    const received = Date.now() - 60_000;
    for (let i = 0; i < 1003; i++) {
      const key = { provider: 'tokenex', id: `many-${String(i).padStart(4, '0')}` };
      storage.admit({ ...key, type: 'token.active', tokenRef: `TOK-${i}`, state: 'ACTIVE', occurredAt: new Date(received), receivedAt: new Date(received + i),
        fingerprint: 'f', body: '{}' }, { as: 'running', owner: 'o', leaseMs: 60_000 });
      storage.settle(key, 'o', { status: 'dead', error: 'downstream 503' });
    }
    const c = consoleApp({ storage, mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
    const agent = request.agent(c.app);
    try {
      const page = await get(agent, '/bulk-replay?status=dead');
      expect(page.text).to.include('More than 1,000 dead letters: the oldest 1,000 are replayed; count again afterwards for the rest.');
      expect(page.text).to.include('<button type="submit">Replay 1,000 dead letters</button>').and.include('The oldest 50 of them');
      const res = await post(agent, '/bulk-replay', { csrf: csrfOf(page.text), status: 'dead' });
      expect((await get(agent, res.headers.location as string)).text).to.include('Replayed 1,000 events');
      const rest = await storage.listEntries({ status: 'dead', limit: 10 });
      expect(rest.map((e) => e.id)).to.deep.equal(['many-1000', 'many-1001', 'many-1002'], 'the newest three are left');
      expect((await get(agent, '/bulk-replay?status=dead')).text).to.include('3 dead letters.');
    } finally {
      await c.webhooks.close();
    }
  });
});
