import { expect } from 'chai';
import request from 'supertest';
import { builtinProviders, createTokenWebhooks } from '../../../lib';
import type { TokenEvent } from '../../../lib';
import { cybersourceSignatureAuthenticator } from '../../../lib/providers/cybersource-signature';
import { TEST_CREDENTIALS, deliver, testReceiver } from '../../helpers/app';
import { edited, fixture } from '../../helpers/fixtures';
import { cybersourceSignature } from '../descriptor';

const documented = (name: string) => fixture('cybersource', `documented/${name}`);

/** Signed the way Cybersource's official plugins verify: `<t>.<JSON of body.payload>`. */
function payloadSignature(body: string, t = Date.now()): string {
  return cybersourceSignature(JSON.stringify((JSON.parse(body) as { payload: unknown }).payload), TEST_CREDENTIALS.cybersource, t);
}

describe('cybersource: every shape Cybersource documents is accepted', () => {
  it('the Webhooks Implementation Guide\'s own example (no reason, no tokenized-cards link): 200, an update naming the instrument', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/webhooks/implementation/all/rest/webhooks/wh-fg-notification-payload-ex.html
    const { app, recorder, webhooks } = testReceiver();
    const res = await deliver(app, 'cybersource', documented('webhooks-guide-notification').text);
    expect(res.status, res.text).to.equal(200);
    const event = recorder.last('event');
    expect(event).to.include({ type: 'token.updated', reason: 'PROVISIONED', tokenRef: 'instrumentIdentifier:....................', stale: false });
    expect(event.state).to.equal(undefined);
    expect(event.changes).to.deep.equal(['token']);
    expect(recorder.count('updated')).to.equal(1);
    expect(await webhooks.getTokenState('cybersource', event.tokenRef)).to.equal(undefined, 'no state without a token');
  });

  it('the older form its official plugins parse (notificationId, payload as an array), signed over JSON(payload)', async () => {
    // github.com/CyberSource/cybersource-plugins-commercetools src/unit-tests/const/ApiControllerConst.ts (a14138136cedd20fd249c0be90f9f18c3039c8b4);
    // signed as in src/utils/helpers/AuthenticationHelper.ts: `${t}.${JSON.stringify(notification.payload)}`.
    const { app, recorder } = testReceiver();
    const body = documented('plugin-array-form').text;
    const res = await request(app).post('/webhooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': payloadSignature(body) }).send(body);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({ received: true, id: 'P47C5DF0BD0079A8E053XXXXXX0A5CDH', duplicate: false });
    const event = recorder.last('event');
    expect(event).to.include({ type: 'token.updated', tokenRef: 'instrumentIdentifier:7036349999987050572' });
    expect(event.changes).to.deep.equal(['token']);
  });

  it('the older form with several notifications in its payload array: each one recorded and run, once', async () => {
    // The array form above, carrying two notifications (its `payload` is an array: each element is one notification).
    const { app, recorder, webhooks } = testReceiver();
    const body = edited('cybersource', 'documented/plugin-array-form', (p) => {
      const second = JSON.parse(JSON.stringify(p.payload[0]));
      second.data.id = 'P47C5DF0BD0079A8E053XXXXXX0A5CDI';
      second.data._links.instrumentIdentifiers[0].href = '/tms/v1/instrumentidentifiers/7036349999987050573';
      p.payload.push(second);
    });
    const res = await request(app).post('/webhooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': payloadSignature(body) }).send(body);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.deep.equal({
      received: true, id: 'P47C5DF0BD0079A8E053XXXXXX0A5CDH', duplicate: false,
      events: [{ id: 'P47C5DF0BD0079A8E053XXXXXX0A5CDH', duplicate: false }, { id: 'P47C5DF0BD0079A8E053XXXXXX0A5CDI', duplicate: false }],
    });
    expect(recorder.calls.filter((c) => c.kind === 'event').map((c) => [c.event.id, c.event.tokenRef])).to.deep.equal([
      ['P47C5DF0BD0079A8E053XXXXXX0A5CDH', 'instrumentIdentifier:7036349999987050572'],
      ['P47C5DF0BD0079A8E053XXXXXX0A5CDI', 'instrumentIdentifier:7036349999987050573'],
    ]);
    expect((await webhooks.listEvents({ provider: 'cybersource' })).map((e) => e.id).sort()).to.deep.equal(['P47C5DF0BD0079A8E053XXXXXX0A5CDH', 'P47C5DF0BD0079A8E053XXXXXX0A5CDI']);
    const again = await request(app).post('/webhooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': payloadSignature(body) }).send(body);
    expect(again.status, again.text).to.equal(200);
    expect(again.body).to.include({ received: true, duplicate: true });
    // Each event's raw payload is the envelope with its own notification.
    expect(recorder.calls.filter((c) => c.kind === 'event').map((c) => (c.event.raw as { payload: { data: { id: string } } }).payload.data.id))
      .to.deep.equal(['P47C5DF0BD0079A8E053XXXXXX0A5CDH', 'P47C5DF0BD0079A8E053XXXXXX0A5CDI']);
    expect(recorder.count('event')).to.equal(2);
  });

  it('the test webhook (payloads.testPayload, retryNumber as a string): 200, recorded, onEvent only', async () => {
    // https://developer.cybersource.com/docs/vas/en-us/webhooks/implementation/all/rest/webhooks/wh-fg-subscription-manage-intro/wh-fg-subscription-manage-test-intro/wh-fg-subscription-manage-test-ex.html
    const { app, recorder, webhooks } = testReceiver();
    const body = documented('test-webhook').text;
    const res = await deliver(app, 'cybersource', body);
    expect(res.status, res.text).to.equal(200);
    expect(res.body.id).to.match(/^sha256:[0-9a-f]{64}$/);
    expect(recorder.calls.map((c) => c.kind)).to.deep.equal(['event']);
    expect(recorder.last('event')).to.include({ type: 'notification', kind: 'test', reason: 'Test webhook', tokenRef: '' });
    const [stored] = await webhooks.listEvents({ provider: 'cybersource' });
    expect(stored).to.include({ type: 'notification', status: 'done' });
    expect((await deliver(app, 'cybersource', body)).body.duplicate).to.equal(true);
  });

  it('the Visa Platform Connect lifecycle examples: enrollment (ACTIVE), then update (DELETED)', async () => {
    // https://developer.cybersource.com/docs/cybs/en-us/tms/developer/ctv/rest/tms/tms-net-tkn-onboard/tms-lcm/tms-lcm-ex-rest.html
    // Both examples carry the same payload.data.id: the second is delivered with its own.
    const { app, recorder, webhooks } = testReceiver();
    expect((await deliver(app, 'cybersource', documented('enrollment-notification').text)).status).to.equal(200);
    const deleted = edited('cybersource', 'documented/update-notification-deleted', (p) => { p.payload.data.id = 'CTV-UPDATE-1'; });
    expect((await deliver(app, 'cybersource', deleted)).status).to.equal(200);
    expect(recorder.calls.filter((c) => c.kind !== 'event').map((c) => c.kind)).to.deep.equal(['active', 'deleted']);
    expect((await webhooks.getTokenState('cybersource', '2E8B371F931C4B9BE0631D588D0AF123'))?.state).to.equal('DELETED');
  });

  for (const eventType of ['tms.token.created', 'tms.token.updated', 'tms.token.pan_updated', 'tms.networktoken.binding']) {
    it(`${eventType} on a shared subscription: 200, recorded as a notification, no state handler`, async () => {
      // Event types of a tokenManagement subscription besides the network-token lifecycle: CyberSource/cybersource-rest-samples-php
      // Samples/Webhooks/CreateNewWebhooks/CreateTokenManagementWebhook.php; tms.networktoken.binding, the webhooks guide's event table.
      const { app, recorder, webhooks } = testReceiver();
      const body = edited('cybersource', 'network-token-suspended', (p) => {
        p.eventType = eventType;
        p.payload.data.id = `${eventType}-1`;
        p.payload.data.reason = 'A_REASON_NOT_DOCUMENTED';
      });
      expect((await deliver(app, 'cybersource', body)).status).to.equal(200);
      expect(recorder.calls.map((c) => c.kind)).to.deep.equal(['event']);
      expect(recorder.last('event')).to.include({ type: 'notification', kind: eventType, reason: 'A_REASON_NOT_DOCUMENTED' });
      expect(await webhooks.getTokenState('cybersource', '38F377C4044F25XXXX63AF598E0A8B67')).to.equal(undefined);
    });
  }

  it('an unknown reason on a lifecycle event is accepted; its link state still counts', async () => {
    const { app, recorder } = testReceiver();
    const body = edited('cybersource', 'network-token-suspended', (p) => { p.payload.data.reason = 'SOMETHING_NEW'; });
    expect((await deliver(app, 'cybersource', body)).status).to.equal(200);
    expect(recorder.last('event')).to.include({ type: 'token.suspended', state: 'SUSPENDED', reason: 'SOMETHING_NEW' });
  });

  it('link state EXPIRED is SUSPENDED (not chargeable, not final) with reasonCode EXPIRED; UNPROVISIONED is INACTIVE; an unknown state changes nothing', async () => {
    // EXPIRED: "a temporary status for COF network tokens where the token has passed its expiration date ... Cybersource does not
    // process transactions with network tokens that have an EXPIRED status" (Visa Platform Connect TMS guide, tms-lcm.html).
    // UNPROVISIONED: Tmsv2TokenizedCard.state in CyberSource/cybersource-rest-client-node docs.
    const { app, recorder, webhooks } = testReceiver();
    const withState = (id: string, state: string, token: string) => edited('cybersource', 'network-token-suspended', (p) => {
      p.payload.data.id = id;
      p.payload.data._links['tokenized-cards'][0].state = state;
      p.payload.data._links['tokenized-cards'][0].id = token;
    });
    await deliver(app, 'cybersource', withState('e-1', 'EXPIRED', 'tok-expired')).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.suspended', state: 'SUSPENDED', reasonCode: 'EXPIRED' });
    expect((await webhooks.getTokenState('cybersource', 'tok-expired'))?.chargeable).to.equal(false);
    await deliver(app, 'cybersource', withState('e-2', 'UNPROVISIONED', 'tok-unprov')).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.inactive', state: 'INACTIVE', reasonCode: 'UNPROVISIONED' });
    await deliver(app, 'cybersource', withState('e-3', 'SOMETHING_ELSE', 'tok-odd')).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.updated', reasonCode: 'SOMETHING_ELSE' });
    expect(await webhooks.getTokenState('cybersource', 'tok-odd')).to.equal(undefined);
  });

  it('a health check sent as POST with an empty body is answered 200, as GET is, and nothing is stored', async () => {
    // "verify that the URL is working and is configured to accept GET and POST requests" (Webhooks Implementation Guide, Troubleshooting)
    const { app, recorder, webhooks } = testReceiver();
    for (const res of [
      await request(app).post('/webhooks/cybersource'),
      await request(app).post('/webhooks/cybersource').set('content-type', 'application/json').send(''),
      await request(app).get('/webhooks/cybersource'),
    ]) expect([res.status, res.body]).to.deep.equal([200, { status: 'ok' }]);
    expect(recorder.calls).to.have.length(0);
    expect(await webhooks.listEvents()).to.have.length(0);
  });

  it('verifies the Webhooks guide\'s own signature example (key dGVzdF9rZXk=, t=1617830804768)', () => {
    // https://developer.cybersource.com/docs/vas/en-us/webhooks/implementation/all/rest/webhooks/wh-fg-optional-intro/wh-fg-optional-validate-intro.html
    const check = cybersourceSignatureAuthenticator({ keys: { 'bf44c857-b182-bb05-e053-34b8d30a7a72': 'dGVzdF9rZXk=' }, now: () => 1617830804768 });
    const header = 't=1617830804768;keyId=bf44c857-b182-bb05-e053-34b8d30a7a72;sig=CzHY47nzJgCSD/BREtSIb+9l/vfkaaL4qf9n8MNJ4CY=";';
    expect(check.authenticate({ method: 'POST', headers: { 'v-c-signature': header }, ip: undefined }, Buffer.from('this is a decrypted payload'))).to.equal(true);
  });
});

describe('cybersource: what the signature does not cover decides nothing', () => {
  it('under a payload-only signature, a forged eventDate in 2099 does not date the event or pin the token\'s state', async () => {
    const { app, recorder, webhooks } = testReceiver();
    const forged = edited('cybersource', 'network-token-suspended', (p) => { p.eventDate = '2099-01-01T00:00:00'; p.payload.data.id = 'forged-date'; });
    const res = await request(app).post('/webhooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': payloadSignature(forged) }).send(forged);
    expect(res.status).to.equal(200);
    const event = recorder.last('event');
    expect(event.occurredAt.getTime()).to.equal(event.receivedAt.getTime());
    const later = edited('cybersource', 'network-token-activated', (p) => {
      p.payload.data._links['tokenized-cards'][0].id = '38F377C4044F25XXXX63AF598E0A8B67';
      p.eventDate = new Date(Date.now() + 1000).toISOString().slice(0, 19); // a genuine event, dated just after the forged one arrived
    });
    await deliver(app, 'cybersource', later).expect(200);
    expect((await webhooks.getTokenState('cybersource', '38F377C4044F25XXXX63AF598E0A8B67'))?.state).to.equal('ACTIVE',
      'a genuine later event still applies');
  });

  it('under a payload-only signature, a forged eventType does not make a lifecycle event a mere notification', async () => {
    const { app, recorder } = testReceiver();
    const forged = edited('cybersource', 'network-token-suspended', (p) => { p.eventType = 'tms.token.updated'; p.payload.data.id = 'forged-type'; });
    await request(app).post('/webhooks/cybersource')
      .set({ 'content-type': 'application/json', 'v-c-signature': payloadSignature(forged) }).send(forged).expect(200);
    expect(recorder.last('event')).to.include({ type: 'token.suspended', state: 'SUSPENDED' });
  });

  it('an event dated beyond the clock-skew allowance never pins a token\'s state (any provider)', async () => {
    const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false, clockSkewMs: 60_000 });
    const seen: TokenEvent[] = [];
    webhooks.onEvent((e) => { seen.push(e); });
    const receive = webhooks.receiver(builtinProviders.cybersource, { keys: { [TEST_CREDENTIALS.cybersource.keyId]: TEST_CREDENTIALS.cybersource.key } });
    const send = (body: string) => receive({ headers: { 'content-type': 'application/json', 'v-c-signature': cybersourceSignature(body, TEST_CREDENTIALS.cybersource) }, rawBody: body });
    const future = edited('cybersource', 'network-token-suspended', (p) => { p.eventDate = '2099-01-01T00:00:00'; });
    expect((await send(future)).status).to.equal(200);
    expect(seen[0]!.occurredAt.getTime()).to.equal(seen[0]!.receivedAt.getTime(), 'clamped to its receipt');
    const active = edited('cybersource', 'network-token-activated', (p) => {
      p.payload.data._links['tokenized-cards'][0].id = '38F377C4044F25XXXX63AF598E0A8B67';
      p.eventDate = new Date(Date.now() + 1000).toISOString().slice(0, 19);
    });
    expect((await send(active)).status).to.equal(200);
    expect((await webhooks.getTokenState('cybersource', '38F377C4044F25XXXX63AF598E0A8B67'))?.state).to.equal('ACTIVE');
    await webhooks.close();
  });
});
