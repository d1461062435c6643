import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { Entry, EntryHistory } from '../../lib';
import { buildPayload } from '../../lib/testing';
import { attemptRows } from '../../lib/console/attempts';
import { BEARER } from '../helpers/app';
import { MOUNT, OPS, UNREADABLE, consoleApp, csrfOf } from './support';
import type { ConsoleApp } from './support';

const CARD = '4111 1111 1111 1111';

/** The text of a table's body rows (cells joined by `|`), tags stripped. */
function rows(html: string, label: string): string[] {
  const table = new RegExp(`<table aria-label="${label}">([\\s\\S]*?)</table>`).exec(html)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1)
    .map((m) => m[1]!.split('</td>').map((cell) => cell.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()).filter(Boolean).join(' | '));
}

describe('operations console: the event page', () => {
  let c: ConsoleApp;
  const page = (id: string, provider = 'tokenex') =>
    request(c.app).get(`${MOUNT}/event?provider=${encodeURIComponent(provider)}&id=${encodeURIComponent(id)}`).auth(OPS.username, OPS.password);
  const deliver = (body: object) => c.post(JSON.stringify(body));

  afterEach(async () => { await c?.webhooks.close(); });

  it('shows every attempt with its time, outcome and redacted error, kept across a replay', async () => {
    c = consoleApp();
    let refusing = true;
    c.webhooks.onEvent(() => {
      if (refusing) throw new Error(`downstream refused card ${CARD} of jane.doe@example.com`);
    });
    const id = 'evt-attempts';
    const body = buildPayload('tokenex', 'active', { tokenRef: 'TOK-ATTEMPTS', id });
    expect((await deliver(body)).status).to.equal(500);
    expect((await deliver(body)).status).to.equal(500, 'the provider retries');
    refusing = false;
    const agent = request.agent(c.app);
    const found = await agent.get(`${MOUNT}/events?tokenRef=TOK-ATTEMPTS`).auth(OPS.username, OPS.password);
    expect(found.text).to.include(`/event?provider=tokenex&amp;id=${id}"`);
    const replayed = await agent.post(`${MOUNT}/replay`).auth(OPS.username, OPS.password).type('form')
      .send({ csrf: csrfOf(found.text), provider: 'tokenex', id });
    expect(replayed.status).to.equal(303);

    const shown = await agent.get(replayed.headers.location as string).auth(OPS.username, OPS.password);
    expect(shown.status).to.equal(200);
    const attempts = rows(shown.text, 'Attempts');
    expect(attempts).to.have.length(4);
    expect(attempts[0]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \| 1 \| failed \| downstream refused card \[REDACTED\] of \[REDACTED\]$/);
    expect(attempts[1]).to.match(/ \| 2 \| failed \| downstream refused card \[REDACTED\] of \[REDACTED\]$/);
    expect(attempts[2]).to.match(/ \| replayed: made pending again after 2 attempt\(s\)$/);
    expect(attempts[3]).to.match(/ \| 1 \| done: its handlers completed$/);
    expect(shown.text).to.not.include(CARD).and.not.include(CARD.replaceAll(' ', '')).and.not.include('jane.doe@example.com');
    const deliveries = rows(shown.text, 'Deliveries of this id');
    expect(deliveries).to.have.length(2);
    expect(deliveries[1]).to.include('a copy with the same meaning');
  });

  it('shows the deliveries of its id: duplicates from other instances and conflicting copies, with their fingerprints', async () => {
    c = consoleApp();
    const other = createTokenWebhooks({ storage: c.storage, pruneIntervalMs: false });
    other.onEvent(() => undefined);
    const otherApp = express().use('/webhooks/tokenex', other.tokenex({ auth: { bearer: BEARER } }));
    try {
      const id = 'evt-copies';
      const first = JSON.stringify(buildPayload('tokenex', 'active', { tokenRef: 'TOK-COPIES', id }));
      expect((await c.post(first)).status).to.equal(200);
      const copy = await request(otherApp).post('/webhooks/tokenex').set({ 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }).send(first);
      expect([copy.status, copy.body.duplicate]).to.deep.equal([200, true], 'another instance, whose cache has not seen it: the ledger answers');
      expect((await c.post(JSON.stringify(buildPayload('tokenex', 'suspended', { tokenRef: 'TOK-COPIES', id })))).status).to.equal(200);

      const entry = (await c.storage.getEntry({ provider: 'tokenex', id }))!;
      const shown = await page(id);
      expect(shown.text).to.include('1 conflicting copy');
      const deliveries = rows(shown.text, 'Deliveries of this id');
      expect(deliveries).to.have.length(3);
      expect(deliveries[0]).to.include(`| ${entry.fingerprint} | the first: this entry`);
      expect(deliveries[1]).to.include(`| ${entry.fingerprint} | a copy with the same meaning`);
      expect(deliveries[2]).to.match(/\| [^|]+ \| conflicting copy another meaning under the same id; the first one stands$/);
      expect(deliveries[2]).to.not.include(entry.fingerprint);
    } finally {
      await other.close();
    }
  });

  it('shows the payload as stored: redacted, never a card number, and a quarantined delivery\'s too', async () => {
    c = consoleApp();
    await c.send('active', 'TOK-PAYLOAD', { id: 'evt-payload' });
    const shown = await page('evt-payload');
    expect(shown.text).to.match(/<h2>Payload, as stored<\/h2>\n<pre class="payload" aria-label="Payload">\{\n {2}&quot;/);
    expect(shown.text).to.include('TOK-PAYLOAD');

    // as an older release might have kept it
    await c.storage.admit({
      provider: 'tokenex', id: 'evt-old', type: 'token.active', tokenRef: 'TOK-OLD', state: 'ACTIVE', occurredAt: new Date(), receivedAt: new Date(),
      fingerprint: 'f', body: JSON.stringify({ event: { id: 'evt-old' }, payload: { card: CARD.replaceAll(' ', ''), note: `pan ${CARD}`, email: 'jane.doe@example.com' } }),
    }, { as: 'pending' });
    const old = await page('evt-old');
    expect(old.text).to.include('&quot;card&quot;: &quot;[REDACTED]&quot;');
    expect(old.text).to.not.include(CARD).and.not.include(CARD.replaceAll(' ', '')).and.not.include('jane.doe@example.com');

    expect((await c.post(UNREADABLE)).status).to.equal(200);
    const [quarantined] = await c.storage.listEntries({ status: 'quarantined' });
    const unreadable = await page(quarantined!.id);
    expect(unreadable.text).to.include('<dt>Why quarantined</dt>');
    expect(unreadable.text).to.include('SOMETHING_NEW', 'what the schema could not read');
    expect(unreadable.text).to.include('None: a quarantined delivery runs only once replayed.');
  });

  it('infers the runs that left no outcome, and says so of an entry stored before attempts were logged', () => {
    const entry = (status: Entry['status'], attempts: number): Entry => ({
      provider: 'p', id: 'e', type: 'token.active', tokenRef: 't', occurredAt: new Date(0), receivedAt: new Date(0), fingerprint: 'f', body: '{}',
      status, attempts, dueAt: new Date(60_000), conflicts: 0,
    });
    const at = new Date(1000);
    const history = (...attempts: EntryHistory['attempts']): EntryHistory => ({ attempts, copies: [] });
    const kinds = (rows: ReturnType<typeof attemptRows>) => rows.map((r) => (r.kind === 'recorded' ? `${r.attempt.outcome}:${r.attempt.attempt}` : `${r.kind}:${r.attempt}`));
    expect(kinds(attemptRows(entry('running', 3), history({ at, attempt: 1, outcome: 'failed', error: 'x' })))).to.deep.equal(['failed:1', 'lost:2', 'running:3']);
    expect(kinds(attemptRows(entry('dead', 4), history(
      { at, attempt: 1, outcome: 'failed' }, { at, attempt: 2, outcome: 'dead' }, { at, attempt: 2, outcome: 'requeued' }, { at, attempt: 2, outcome: 'failed' },
      { at, attempt: 4, outcome: 'dead' },
    )))).to.deep.equal(['failed:1', 'dead:2', 'requeued:2', 'lost:1', 'failed:2', 'lost:3', 'dead:4']);
    expect(kinds(attemptRows(entry('failed', 2), history()))).to.deep.equal([], 'nothing logged: only the count is known');
    expect(kinds(attemptRows(entry('pending', 0), history({ at, attempt: 3, outcome: 'requeued' })))).to.deep.equal(['requeued:3']);
  });
});
