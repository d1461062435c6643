import { expect } from 'chai';
import request from 'supertest';
import { ConfigurationError, createTokenWebhooks } from '../../lib';
import type { ConsoleOptions } from '../../lib';
import { CONTENT_SECURITY_POLICY } from '../../lib/console/console';
import { MOUNT, OPS, consoleApp } from './support';

const get = (app: Parameters<typeof request>[0], path: string) => request(app).get(`${MOUNT}${path}`).auth(OPS.username, OPS.password);
const REFRESH = /<meta http-equiv="refresh" content="(\d+)">/;

describe('operations console: refresh and narrow screens', () => {
  it('refreshSeconds reloads the overview, the inbox and an event\'s page (meta refresh, no script), not a page with a form to fill', async () => {
    const c = consoleApp({}, { credentials: OPS, refreshSeconds: 30 });
    try {
      const id = await c.send('active', 'TOK-REFRESH');
      for (const path of ['/', '/inbox', `/event?provider=tokenex&id=${id}`]) {
        const page = await get(c.app, path);
        expect(REFRESH.exec(page.text)?.[1], path).to.equal('30');
        expect(page.headers['content-security-policy']).to.equal(CONTENT_SECURITY_POLICY);
        expect(page.text).to.not.match(/<script/i);
      }
      for (const path of ['/tokens?provider=tokenex&tokenRef=TOK-REFRESH', '/bulk-replay?status=dead', `/run-again?provider=tokenex&id=${id}`,
        '/event?provider=tokenex&id=missing', '/nope']) {
        expect((await get(c.app, path)).text, path).to.not.match(REFRESH);
      }
    } finally {
      await c.webhooks.close();
    }
  });

  it('without refreshSeconds, no page reloads itself; out of range it refuses to start', async () => {
    const c = consoleApp();
    try {
      for (const path of ['/', '/inbox']) expect((await get(c.app, path)).text).to.not.match(REFRESH);
    } finally {
      await c.webhooks.close();
    }
    for (const refreshSeconds of [0, 4, 3601, 7.5]) {
      expect(() => createTokenWebhooks({ pruneIntervalMs: false }).console({ credentials: OPS, refreshSeconds } as ConsoleOptions))
        .to.throw(ConfigurationError, 'console() refreshSeconds must be an integer from 5 to 3600');
    }
  });

  it('the stylesheet lets tables scroll inside themselves below 720 px, and keeps the error column wide enough to read', async () => {
    const c = consoleApp();
    try {
      const css = (await get(c.app, '/console.css')).text;
      expect(css).to.match(/@media \(max-width: 720px\) \{[^@]*table \{ display: block; overflow-x: auto; \}/);
      expect(css).to.include('td.error { min-width: 14rem; word-break: normal; overflow-wrap: anywhere; }');
    } finally {
      await c.webhooks.close();
    }
  });
});
