import assert from 'node:assert/strict';
import { builtinProviders, createTokenWebhooks } from '../../lib';
import { fixture } from '../helpers/fixtures';
import { BEARER, TEST_CREDENTIALS } from '../helpers/app';
import { descriptor } from '../providers/descriptors';

describe('the transport-free receiver', () => {
  it('runs the whole pipeline without HTTP: a queue consumer hands it bytes and headers, and sends back the answer', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false });
    const seen: string[] = [];
    webhooks.onSuspended((event) => { seen.push(event.tokenRef); });
    const receive = webhooks.receiver(builtinProviders.cybersource, { keys: { [TEST_CREDENTIALS.cybersource.keyId]: TEST_CREDENTIALS.cybersource.key } });
    const body = fixture('cybersource', 'network-token-suspended').text;
    const headers = { 'content-type': 'application/json', ...descriptor('cybersource').credentials(body, TEST_CREDENTIALS) };

    const answer = await receive({ headers, rawBody: Buffer.from(body) });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { received: true, id: '3904B9E29F574360xxxxAF598E0AB766', duplicate: false });
    assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(seen, ['38F377C4044F25XXXX63AF598E0A8B67']);
    assert.equal(answer.outcome.ok, true);

    const forged = await receive({ headers: { ...headers, 'v-c-signature': 't=1;keyId=x;sig=AAAA' }, rawBody: body });
    assert.equal(forged.status, 401);
    assert.equal(JSON.parse(forged.body).error.code, 'unauthorized');
    await webhooks.close();
  });

  it('takes a body another framework already parsed, when the provider signs nothing over the bytes', async () => {
    const webhooks = createTokenWebhooks({ pruneIntervalMs: false }).onEvent(() => undefined);
    const receive = webhooks.receiver(builtinProviders.tokenex, { auth: { bearer: BEARER } });
    const parsedBody = JSON.parse(fixture('tokenex', 'request').text) as unknown;
    const answer = await receive({ headers: { 'content-type': 'application/json', authorization: `Bearer ${BEARER}` }, parsedBody });
    assert.equal(answer.status, 200);
    const cs = webhooks.receiver(builtinProviders.cybersource, { keys: { k: TEST_CREDENTIALS.cybersource.key } });
    const refused = await cs({ headers: { 'content-type': 'application/json' }, parsedBody });
    assert.equal(refused.status, 500);
    assert.equal(JSON.parse(refused.body).error.code, 'raw_body_unavailable');
    await webhooks.close();
  });
});
