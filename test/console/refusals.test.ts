import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import { refusalsPanel } from '../../lib/console/refusals';
import { buildPayload } from '../../lib/testing';
import { BEARER } from '../helpers/app';
import { MOUNT, OPS, UNREADABLE } from './support';

/** A receiver with TokenEx mounted (no quarantine: a schema violation is refused) and the console, on a clock the test moves. */
function refusingApp() {
  const clock = { now: new Date('2026-03-02T08:00:00Z') };
  const webhooks = createTokenWebhooks({ pruneIntervalMs: false, now: () => clock.now });
  webhooks.onEvent(() => undefined);
  const app = express();
  app.use('/webhooks/tokenex', webhooks.tokenex({ auth: { bearer: BEARER } }));
  app.use(MOUNT, webhooks.console({ credentials: OPS }));
  const deliver = (authorization: string, type: string, body: string) =>
    request(app).post('/webhooks/tokenex').set({ 'content-type': type, authorization }).send(body);
  const overview = () => request(app).get(`${MOUNT}/`).auth(OPS.username, OPS.password);
  return { app, webhooks, clock, deliver, overview };
}

/** The panel's table row of a provider, status and code: its count and last time. */
const row = (text: string, status: number, code: string) => {
  const match = new RegExp(`<tr><td>tokenex</td><td class="num">${status}</td><td><code>${code}</code></td><td class="num">(\\d+)</td><td>([^<]+)</td></tr>`).exec(text);
  return match ? { count: Number(match[1]), last: match[2] } : undefined;
};

describe('operations console: refused deliveries', () => {
  it('says none since the process started while nothing was refused', async () => {
    const c = refusingApp();
    try {
      const page = await c.overview();
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<h2>Refused by this instance since it started</h2>');
      expect(page.text).to.include('<p class="muted">None since 2026-03-02 08:00:00Z.</p>');
      expect(page.text).to.include('Counted by this process since it started');
    } finally {
      await c.webhooks.close();
    }
  });

  it('counts 401, 415 and 400 by provider and code with the last time, and shows nothing of the requests', async () => {
    const c = refusingApp();
    try {
      const valid = JSON.stringify(buildPayload('tokenex', 'active', { tokenRef: 'TOK-REFUSED-1' }));
      c.clock.now = new Date('2026-03-02T08:05:00Z');
      expect((await c.deliver('Bearer rotated-old-secret-abc', 'application/json', valid)).status).to.equal(401);
      c.clock.now = new Date('2026-03-02T08:06:00Z');
      expect((await c.deliver('Bearer rotated-old-secret-abc', 'application/json', valid)).status).to.equal(401);
      expect((await c.deliver(`Bearer ${BEARER}`, 'text/plain', valid)).status).to.equal(415);
      c.clock.now = new Date('2026-03-02T08:07:00Z');
      expect((await c.deliver(`Bearer ${BEARER}`, 'application/json', UNREADABLE)).status).to.equal(400);

      const page = await c.overview();
      expect(page.status).to.equal(200);
      expect(page.text).to.include('<table aria-label="Refused by provider and code">');
      expect(row(page.text, 401, 'unauthorized')).to.deep.equal({ count: 2, last: '2026-03-02 08:06:00Z' });
      expect(row(page.text, 415, 'unsupported_media_type')).to.deep.equal({ count: 1, last: '2026-03-02 08:06:00Z' });
      expect(row(page.text, 400, 'schema_violation')).to.deep.equal({ count: 1, last: '2026-03-02 08:07:00Z' });
      expect(page.text).to.include('since it started (2026-03-02 08:00:00Z)');
      expect(page.text).to.include('<code>ntw.outcome="refused"</code>');
      expect(page.text).to.not.include('None since');
      expect(page.text).to.not.include('rotated-old-secret-abc').and.not.include('TOK-REFUSED-1').and.not.include('SOMETHING_NEW');
      expect(page.text).to.include('Nothing received yet.', 'refused deliveries never reach storage');
    } finally {
      await c.webhooks.close();
    }
  });

  it('escapes what it shows', () => {
    const hostile = '<script>alert(1)</script>"\'>';
    const panel = refusalsPanel({
      since: new Date('2026-03-02T08:00:00Z'),
      rows: [{ provider: hostile, status: 400, code: hostile, count: 3, last: new Date('2026-03-02T08:01:00Z') }],
      untallied: 2,
    }).text;
    expect(panel).to.not.include('<script>').and.not.include('"\'>');
    expect(panel).to.include('<td>&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;</td>');
    expect(panel).to.include('2 more refused, of kinds past the 1 rows kept');
  });
});
