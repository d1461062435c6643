import type { TokenChange, TokenEventType, TokenState } from '../../lib';

/** What each example payload must become. `kinds` are the handlers it fires besides onEvent. */
export interface Expected {
  readonly id: string;
  readonly type: TokenEventType;
  readonly state?: TokenState;
  readonly previousState?: TokenState;
  readonly tokenRef: string;
  readonly reason?: string;
  readonly reasonCode?: string;
  readonly changes?: readonly TokenChange[];
  readonly occurredAt?: string;
  readonly kinds: readonly ('active' | 'suspended' | 'deleted' | 'updated')[];
  readonly activationCode?: string;
}

const NI_TOKEN = '52913582186153682368:50110030273';
const NI_ID = 'b876d568-8411-4638-bdef-a1a188a4773b';

export const EXPECTED: Record<string, Record<string, Expected>> = {
  cybersource: {
    'network-token-provisioned': { id: '3904693A51027574XXXXAF598E0AA195', type: 'token.active', state: 'ACTIVE', tokenRef: '38F377C4044F251AE06XXXX98E0A8B67', reason: 'PROVISIONED', occurredAt: '2025-07-03T09:58:09.000Z', kinds: ['active'] },
    'network-token-status-updated': { id: '2EE7067B2F015632E0631E588E0A1987', type: 'token.deleted', state: 'DELETED', tokenRef: '2E8B371F931C4B9BE0631D588D0AF123', reason: 'TOKEN_STATUS_UPDATED', occurredAt: '2025-02-24T16:46:27.000Z', kinds: ['deleted'] },
    'network-token-suspended': { id: '3904B9E29F574360xxxxAF598E0AB766', type: 'token.suspended', state: 'SUSPENDED', tokenRef: '38F377C4044F25XXXX63AF598E0A8B67', reason: 'TOKEN_STATUS_UPDATED', kinds: ['suspended'] },
    'network-token-deleted': { id: '3904CA019A3A55F9E063AFXXXX0A8356', type: 'token.deleted', state: 'DELETED', tokenRef: '38F377C4044F251AE063XXXX8E0A8B67', kinds: ['deleted'] },
    'network-token-activated': { id: '3904DXXXXC6D597AE06XXXX98E0A6B8C', type: 'token.active', state: 'ACTIVE', tokenRef: '3904CA019F035XXXX063AF598E0A8356', kinds: ['active'] },
    'network-token-card-updated': { id: '2F3AC2D2450BB025E06XXXX98E0AF0CA', type: 'token.updated', tokenRef: '2F1F09A14C7E3XXXX063AF598E0A5151', reason: 'CARD_UPDATED', changes: ['card'], kinds: ['updated'] },
    'network-token-updated': { id: '3904CA019A3A55F9E063AF598E0A8356', type: 'token.active', state: 'ACTIVE', tokenRef: '38F377C4044F251AE063AF598E0A8B67', reason: 'TOKEN_UPDATED', changes: ['status', 'expiry'], kinds: ['active', 'updated'] },
    'network-token-expiration-updated': { id: '4B7FB81DA338515FE063AF598E0AD417', type: 'token.updated', tokenRef: '4B7FB756657A1B9FE063AF598E0AE530', reason: 'TOKEN_EXPIRY_UPDATED', changes: ['expiry'], occurredAt: '2026-02-23T14:40:45.000Z', kinds: ['updated'] },
    // Cybersource's "metadata updated" example carries reason TOKEN_EXPIRY_UPDATED and the same id as the expiry example.
    'network-token-metadata-updated': { id: '4B7FB81DA338515FE063AF598E0AD417', type: 'token.updated', tokenRef: '4B7FB756657A1B9FE063AF598E0AE530', reason: 'TOKEN_EXPIRY_UPDATED', changes: ['expiry'], kinds: ['updated'] },
    redigitization: { id: '4BBA5FF1292594B4E063AF598E0AAA66', type: 'token.updated', tokenRef: '4BBA5FF1272C94B4E063AF598E0AAA66', reason: 'REDIGITILIZATION', changes: ['redigitalization'], kinds: ['updated'] },
  },
  tokenex: {
    request: {
      id: '6fdf4f09-7fbb-48ae-be1e-ac412a2949a7', type: 'token.active', state: 'ACTIVE', previousState: 'INACTIVE',
      tokenRef: 'b2b92b5b-403d-4bd8-a756-6e415b86b291', reason: 'The mobile device is stolen.', reasonCode: 'ACTIVATED_BY_ISSUER',
      occurredAt: '2018-04-16T11:58:48.000Z', kinds: ['active'],
    },
  },
  ni: {
    'sample-request-for-tc': { id: NI_ID, type: 'token.active', state: 'ACTIVE', tokenRef: NI_TOKEN, occurredAt: '2022-11-09T11:00:03.000Z', kinds: ['active'] },
    'sample-request-for-ac': { id: NI_ID, type: 'token.activation_code', tokenRef: NI_TOKEN, activationCode: '1234', kinds: [] },
    'sample-request-for-td': { id: NI_ID, type: 'token.deleted', state: 'DELETED', tokenRef: NI_TOKEN, reason: 'Deactivate', kinds: ['deleted'] },
    'sample-request-for-te': { id: NI_ID, type: 'token.active', state: 'ACTIVE', tokenRef: NI_TOKEN, reason: 'Token resume', kinds: ['active'] },
  },
  firstoken: {
    active: { id: 'evt_01JABCDEF0000000000000001', type: 'token.active', state: 'ACTIVE', tokenRef: 'ft_7c9e6679f42a4b1d', reason: 'Network token provisioned', occurredAt: '2025-07-03T09:58:09.000Z', kinds: ['active'] },
    suspended: { id: 'evt_01JABCDEF0000000000000002', type: 'token.suspended', state: 'SUSPENDED', tokenRef: 'ft_7c9e6679f42a4b1d', kinds: ['suspended'] },
    'deleted-status-in-data': { id: 'evt_01JABCDEF0000000000000003', type: 'token.deleted', state: 'DELETED', tokenRef: 'ft_7c9e6679f42a4b1d', occurredAt: '2025-07-03T10:30:12.120Z', kinds: ['deleted'] },
    'active-without-event-id': { id: 'sha256:', type: 'token.active', state: 'ACTIVE', tokenRef: 'ft_0b1f2a3c4d5e6f70', occurredAt: '2025-07-04T08:00:00.000Z', kinds: ['active'] },
  },
};
