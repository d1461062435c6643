import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EntryCodec } from '../../lib/ledger/entry-codec';
import { SecretBox } from '../../lib/ledger/secret-box';
import type { UnprojectedEvent } from '../../lib/ledger/event-for-handlers';

describe('the entry codec keeps the text received when nothing was redacted', function () {
  const text = '{ "id": "evt-1",\n  "data": { "n": 12, "list": [true, null, "ünï\\u2028"] } }';
  const payload = JSON.parse(text) as Record<string, unknown>;
  const event = {
    provider: 'p', id: 'evt-1', type: 'token.active', tokenRef: 'tok-1', state: 'ACTIVE', changes: [], activationCode: '123456',
    occurredAt: new Date(Date.UTC(2025, 6, 3)), receivedAt: new Date(Date.UTC(2025, 6, 3, 0, 0, 1)), raw: payload,
  } as unknown as UnprojectedEvent;

  for (const box of [undefined, new SecretBox(randomBytes(32))]) {
    it(`decodes to what serializing the payload gives${box ? ', with the secrets sealed' : ''}`, function () {
      const codec = new EntryCodec(box);
      const kept = codec.encode(event, payload, ['activationCode'], text);
      const serialized = codec.encode(event, payload, ['activationCode']);
      assert.deepEqual(JSON.parse(kept).event, JSON.parse(serialized).event);
      assert.deepEqual(codec.payload(kept), payload);
      assert.deepEqual(codec.decode(kept), codec.decode(serialized));
      assert.equal(kept.includes('123456'), false, 'a secret field is never in clear');
      assert.equal(JSON.parse(kept).sealed !== undefined, box !== undefined);
    });
  }
});
