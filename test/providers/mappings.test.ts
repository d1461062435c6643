import { expect } from 'chai';
import { edited } from '../helpers/fixtures';
import { deliver, testReceiver } from '../helpers/app';
import { unauthenticated } from '../helpers/unauthenticated';
import express from 'express';
import request from 'supertest';
import { createTokenWebhooks } from '../../lib';
import type { TokenEvent } from '../../lib';

/** Deliver one payload to a fresh receiver and return the event onEvent got, and which handlers fired. */
async function normalized(provider: string, body: string): Promise<{ event: TokenEvent; kinds: string[] }> {
  const { app, recorder } = testReceiver();
  const res = await deliver(app, provider, body);
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  return { event: recorder.last('event'), kinds: recorder.calls.map((c) => c.kind).filter((k) => k !== 'event') };
}

describe('provider mappings beyond the seed examples', () => {
  describe('cybersource', () => {
    it('accepts the REDIGITALIZATION spelling as well', async () => {
      const { event, kinds } = await normalized('cybersource', edited('cybersource', 'redigitization', (p) => { p.payload.data.reason = 'REDIGITALIZATION'; }));
      expect(event).to.include({ type: 'token.updated', reason: 'REDIGITALIZATION' });
      expect(event.changes).to.deep.equal(['redigitalization']);
      expect(kinds).to.deep.equal(['updated']);
    });
    it('METADATA_UPDATED is a metadata update', async () => {
      const { event } = await normalized('cybersource', edited('cybersource', 'network-token-metadata-updated', (p) => { p.payload.data.reason = 'METADATA_UPDATED'; }));
      expect(event.changes).to.deep.equal(['metadata']);
    });
    it('TOKEN_STATUS_UPDATED without a link state is an update of the status, not a guess', async () => {
      const { event, kinds } = await normalized('cybersource', edited('cybersource', 'network-token-suspended', (p) => {
        delete p.payload.data._links['tokenized-cards'][0].state;
      }));
      expect(event.type).to.equal('token.updated');
      expect(event.state).to.equal(undefined);
      expect(event.changes).to.deep.equal(['status']);
      expect(kinds).to.deep.equal(['updated']);
    });
    it('PROVISIONED without a link state is ACTIVE', async () => {
      const { event } = await normalized('cybersource', edited('cybersource', 'network-token-provisioned', (p) => {
        delete p.payload.data._links['tokenized-cards'][0].state;
      }));
      expect(event).to.include({ type: 'token.active', state: 'ACTIVE' });
    });
    it('TOKEN_UPDATED to SUSPENDED fires onSuspended and onUpdated', async () => {
      const { event, kinds } = await normalized('cybersource', edited('cybersource', 'network-token-updated', (p) => {
        p.payload.data._links['tokenized-cards'][0].state = 'SUSPENDED';
      }));
      expect(event).to.include({ type: 'token.suspended', state: 'SUSPENDED' });
      expect(kinds.sort()).to.deep.equal(['suspended', 'updated']);
    });
    it('an eventDate with a zone or fraction is read as given', async () => {
      const { event } = await normalized('cybersource', edited('cybersource', 'network-token-provisioned', (p) => { p.eventDate = '2025-07-03T11:58:09.250+02:00'; }));
      expect(event.occurredAt.toISOString()).to.equal('2025-07-03T09:58:09.250Z');
    });
  });

  describe('tokenex', () => {
    for (const [state, type, kind] of [['INACTIVE', 'token.inactive', undefined], ['SUSPENDED', 'token.suspended', 'suspended'], ['DELETED', 'token.deleted', 'deleted']] as const) {
      it(`currentTokenState ${state} → ${type}`, async () => {
        const { event, kinds } = await normalized('tokenex', edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.currentTokenState = state; }));
        expect(event).to.include({ type, state });
        expect(kinds).to.deep.equal(kind ? [kind] : []);
      });
    }
    it('RPAN_UPDATE is also an update of the PAN', async () => {
      const { event, kinds } = await normalized('tokenex', edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.requestReasonCode = 'RPAN_UPDATE'; }));
      expect(event.changes).to.deep.equal(['pan']);
      expect(kinds.sort()).to.deep.equal(['active', 'updated']);
    });
    it('an empty previousTokenState is no previous state', async () => {
      const { event } = await normalized('tokenex', edited('tokenex', 'request', (p) => { p.networkTokenStateChangeNotification.previousTokenState = ''; }));
      expect(event.previousState).to.equal(undefined);
    });
  });

  describe('ni', () => {
    for (const [indicator, type, state, reason] of [
      ['3', 'token.deleted', 'DELETED', 'Deactivate'], ['4', 'token.deleted', 'DELETED', 'Delete'],
      ['6', 'token.suspended', 'SUSPENDED', 'Suspend'], ['7', 'token.active', 'ACTIVE', 'Resume'],
    ] as const) {
      it(`TD with tokenEventIndicator ${indicator} → ${type}`, async () => {
        const { event } = await normalized('ni', edited('ni', 'sample-request-for-td', (p) => { p.details.token.tokenEventIndicator = indicator; }));
        expect(event).to.include({ type, state, reason });
      });
    }
    it('reads the specification timestamp form and the clientId spelling', async () => {
      const { event } = await normalized('ni', edited('ni', 'sample-request-for-tc', (p) => {
        p.timestamp = '2022-11-09T15:00:03.125+04:00';
        p.details.card.clientId = p.details.card.clintId;
        delete p.details.card.clintId;
      }));
      expect(event.occurredAt.toISOString()).to.equal('2022-11-09T11:00:03.125Z');
    });
    it('identifies the token by the masked card number within its client when NI gives no card id', async () => {
      const { event } = await normalized('ni', edited('ni', 'sample-request-for-tc', (p) => { delete p.details.card.id; }));
      expect(event.tokenRef).to.equal(`${encodeURIComponent('masked:529135XXXXXX4488@1234567')}:50110030273:16`);
    });
    it('keeps a non-empty tokenEventReasonCode', async () => {
      const { event } = await normalized('ni', edited('ni', 'sample-request-for-td', (p) => { p.details.token.tokenEventReasonCode = 'CARDHOLDER'; }));
      expect(event.reasonCode).to.equal('CARDHOLDER');
    });
  });

  describe('firstoken', () => {
    it('a field mapping and schema of your own replace the assumed envelope', async () => {
      const webhooks = createTokenWebhooks<TokenEvent>({ pruneIntervalMs: false });
      const seen: TokenEvent[] = [];
      webhooks.onEvent((e) => { seen.push(e); });
      const app = express();
      app.use('/ft', unauthenticated(() => webhooks.firstoken({
        auth: 'none',
        schema: { type: 'object', required: ['notification_id', 'token', 'new_status'] },
        mapping: {
          eventId: (raw) => (raw as unknown as { notification_id: string }).notification_id,
          tokenRef: (raw) => (raw as unknown as { token: string }).token,
          status: (raw) => (raw as unknown as { new_status: 'SUSPENDED' }).new_status,
          occurredAt: () => new Date('2025-01-01T00:00:00Z'),
        },
      })));
      const res = await request(app).post('/ft').set('content-type', 'application/json')
        .send({ notification_id: 'n-77', token: 'ft_x', new_status: 'SUSPENDED' });
      expect(res.status).to.equal(200);
      expect(seen[0]).to.include({ id: 'n-77', tokenRef: 'ft_x', type: 'token.suspended', state: 'SUSPENDED' });
      expect(seen[0]!.occurredAt.toISOString()).to.equal('2025-01-01T00:00:00.000Z');
    });
    it('two payloads without an id differ by their body hash', async () => {
      const { app, recorder } = testReceiver();
      await deliver(app, 'firstoken', '{"status":"ACTIVE","ft_token":"ft_1"}').expect(200);
      await deliver(app, 'firstoken', '{"status":"SUSPENDED","ft_token":"ft_1"}').expect(200);
      await deliver(app, 'firstoken', '{"status":"ACTIVE","ft_token":"ft_1"}').expect(200);
      expect(recorder.calls.filter((c) => c.kind !== 'event').map((c) => c.kind)).to.deep.equal(['active', 'suspended']);
    });
  });
});
