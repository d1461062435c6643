import { expect } from 'chai';
import request from 'supertest';
import { MOUNT, OPS, consoleApp, csrfOf } from './support';

const get = (agent: request.Agent, path: string) => agent.get(path.startsWith(MOUNT) ? path : `${MOUNT}${path}`).auth(OPS.username, OPS.password);
const post = (agent: request.Agent, form: Record<string, string>) =>
  agent.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form').set({ 'sec-fetch-site': 'same-origin' }).send(form);

describe('operations console: running a done event again, and the replayed notice', () => {
  it('"Run again" on a done event leads to a confirmation (a GET); only its form runs the event again', async () => {
    const c = consoleApp();
    let runs = 0;
    c.webhooks.onEvent(() => { runs++; });
    const agent = request.agent(c.app);
    try {
      const id = await c.send('active', 'TOK-AGAIN');
      expect(runs).to.equal(1);
      const event = await get(agent, `/event?provider=tokenex&id=${id}`);
      expect(event.text).to.match(/<form class="inline" method="get" action="\/ops\/token-webhooks\/run-again"><input type="hidden" name="provider" value="tokenex"><input type="hidden" name="id" value="[^"]+"><button type="submit">Run again…<\/button><\/form>/);
      expect(event.text).to.not.include('method="post"', 'the event page posts nothing for a done event');

      const confirm = await get(agent, `/run-again?provider=tokenex&id=${id}`);
      expect(confirm.status).to.equal(200);
      expect(confirm.text).to.include('<h1>Run again?</h1>').and.include('Running it again runs them once more');
      expect(confirm.text).to.match(/<form class="inline" method="post" action="\/ops\/token-webhooks\/replay">\s*<input type="hidden" name="csrf" value="[\w-]+"><input type="hidden" name="provider" value="tokenex"><input type="hidden" name="id" value="[^"]+"><input type="hidden" name="confirm" value="yes">\s*<button type="submit">Run again<\/button>/);
      const csrf = csrfOf(confirm.text);

      const unconfirmed = await post(agent, { csrf, provider: 'tokenex', id });
      expect(unconfirmed.status).to.equal(303);
      expect(unconfirmed.headers.location).to.equal(`${MOUNT}/run-again?provider=tokenex&id=${id}`, 'sent to the confirmation');
      expect(runs).to.equal(1, 'not run again without the confirmation');

      const confirmed = await post(agent, { csrf, provider: 'tokenex', id, confirm: 'yes' });
      expect(confirmed.status).to.equal(303);
      expect(runs).to.equal(2);
      const shown = await get(agent, confirmed.headers.location as string);
      expect(shown.text).to.include('Replayed the event. It is now done.');
      expect((await get(agent, confirmed.headers.location as string)).text).to.not.include('Replayed the event', 'a reload shows it no more');
    } finally {
      await c.webhooks.close();
    }
  });

  it('the notice is this browser\'s, for the page it was posted for: another tab, a forged marker or a stale one shows nothing', async () => {
    const c = consoleApp();
    c.failing = true;
    const id = await c.send('active', 'TOK-FLASH');
    c.failing = false;
    const agent = request.agent(c.app);
    try {
      const csrf = csrfOf((await get(agent, '/inbox')).text);
      const res = await post(agent, { csrf, provider: 'tokenex', id });
      const location = res.headers.location as string;
      const marker = new URL(location, 'http://x').searchParams.get('flash')!;
      expect((await get(agent, `/event?provider=tokenex&id=${id}&flash=${'A'.repeat(22)}`)).text).to.not.include('Replayed');
      expect((await request(c.app).get(location).auth(OPS.username, OPS.password)).text).to.not.include('Replayed', 'another browser, without the cookie');
      expect((await get(agent, `/inbox?flash=${marker}`)).text).to.not.include('Replayed', 'a bulk notice is the inbox\'s; this is an event\'s');
      expect((await get(agent, location)).text).to.not.include('Replayed the event', 'the inbox took it already');
    } finally {
      await c.webhooks.close();
    }
  });

  it('says when nothing was replayed, and what the event is', async () => {
    const c = consoleApp({ mode: 'inbox', inbox: { maxAttempts: 1, pollIntervalMs: false } });
    const agent = request.agent(c.app);
    try {
      c.failing = true;
      await c.send('active', 'TOK-DEAD'); // a dead letter: the inbox then has a form to take the token from
      await (c.webhooks as unknown as { processInbox(): Promise<number> }).processInbox();
      c.failing = false;
      const id = await c.send('active', 'TOK-PENDING');
      const csrf = csrfOf((await get(agent, '/inbox')).text);
      const res = await post(agent, { csrf, provider: 'tokenex', id });
      const page = await get(agent, res.headers.location as string);
      expect(page.text).to.include('Nothing was replayed: the event is running or pending').and.include('It is pending.');
      expect((await get(agent, `/run-again?provider=tokenex&id=${id}`)).text).to.include('This event is pending, not done: nothing to confirm.');
      expect((await get(agent, '/run-again?provider=tokenex&id=nope')).status).to.equal(404);
    } finally {
      await c.webhooks.close();
    }
  });
});
